"""``fte try …``: talk to the running dev stack as a customer would, with no outside account.

The stack leaves ``stack.json`` in its data folder saying where it answers; these commands
read it. ``try email`` drops a mail into the Gmail stand-in's inbox (which pushes it to the
stack, signed, as Pub/Sub does) and waits for the answer in the same thread.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from shared.devstack.stack import STATE_FILE


class NotRunning(RuntimeError):
    """No dev stack answers from this data folder."""


def stack_state(data_dir: Path) -> dict[str, Any]:
    path = data_dir / STATE_FILE
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise NotRunning(
            f"no running dev stack found in {data_dir}/ (start one with `nox -s dev` or "
            f"`fte dev`, or pass its --data-dir)"
        ) from exc
    return state


def _google(data_dir: Path) -> str:
    url = stack_state(data_dir).get("google")
    if not url:
        raise NotRunning("the running dev stack has no Gmail stand-in")
    return str(url)


def send_email(
    data_dir: Path, *, sender: str, body: str, subject: str, thread: str | None, name: str | None
) -> dict[str, Any]:
    """Drop the mail in the inbox; its Gmail id, thread id and Message-ID."""
    spec = {"from": sender, "subject": subject, "body": body, "thread_id": thread, "name": name}
    try:
        response = httpx.post(f"{_google(data_dir)}/_standin/mail", json=spec, timeout=10)
    except httpx.HTTPError as exc:
        raise NotRunning(f"the Gmail stand-in did not answer ({type(exc).__name__})") from exc
    if response.status_code != 201:
        raise ValueError(response.json().get("detail", response.text))
    dropped: dict[str, Any] = response.json()
    return dropped


def sent_mail(data_dir: Path) -> list[dict[str, Any]]:
    """Every mail the stack sent, oldest first, as the stand-in's mailbox holds it."""
    try:
        response = httpx.get(f"{_google(data_dir)}/_standin/sent", timeout=10)
    except httpx.HTTPError as exc:
        raise NotRunning(f"the Gmail stand-in did not answer ({type(exc).__name__})") from exc
    response.raise_for_status()
    sent: list[dict[str, Any]] = response.json()
    return sent


def wait_for_reply(data_dir: Path, message_id: str, timeout: float) -> dict[str, Any] | None:
    """The sent mail answering ``message_id``, waiting at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        for mail in sent_mail(data_dir):
            if mail["in_reply_to"] == message_id:
                return mail
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.2)


OUTBOX_FIELDS = ("to", "thread_id", "in_reply_to", "references", "subject", "text")


def outbox_line(mail: dict[str, Any]) -> str:
    return json.dumps({key: mail[key] for key in OUTBOX_FIELDS})


def describe(mail: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"To:       {mail['to']}",
            f"Subject:  {mail['subject']}",
            f"Thread:   {mail['thread_id']}",
            f"In reply: {mail['in_reply_to']}",
            "",
            mail["text"].rstrip(),
        ]
    )
