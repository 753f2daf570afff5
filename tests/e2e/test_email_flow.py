"""The email channel on ``fte dev``, as a newcomer tries it: a mail in the Gmail stand-in's inbox,
a signed push to the stack, the agent's answer in the same thread, exactly once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from shared.devstack import trying
from tests.e2e.conftest import REPO, UNTHROTTLED, DevStack, start_dev, wait_for


def _fte(stack: DevStack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shared.cli", "try", *args, "--data-dir", str(stack.data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def _google(stack: DevStack) -> str:
    return str(trying.stack_state(stack.data_dir)["google"])


def _answers_to(stack: DevStack, message_id: str) -> list[dict[str, Any]]:
    return [m for m in trying.sent_mail(stack.data_dir) if m["in_reply_to"] == message_id]


def _status_page(mail: dict[str, Any]) -> dict[str, Any]:
    url = re.search(r"follow it at (\S+)", mail["text"])
    assert url, mail["text"]
    response = httpx.get(url[1], timeout=10)
    assert response.status_code == 200
    page: dict[str, Any] = response.json()
    return page


def test_fte_try_email_gets_the_answer_in_the_same_thread_and_the_thread_continues(
    dev_stack: DevStack,
) -> None:
    first = _fte(
        dev_stack,
        "email",
        "--from",
        "grace@example.com",
        "--name",
        "Grace Hopper",
        "--subject",
        "Reset password",
        "--body",
        "How do I reset my password?",
    )
    assert first.returncode == 0, first.stderr
    thread = re.search(r"--thread (\S+)", first.stdout)
    assert thread and "Subject:  Re: Reset password" in first.stdout
    assert "Hi Grace," in first.stdout and "Forgot password" in first.stdout

    second = _fte(
        dev_stack,
        "email",
        "--from",
        "grace@example.com",
        "--thread",
        thread[1],
        "--body",
        "Thanks, and how do I turn on 2FA?",
    )
    assert second.returncode == 0, second.stderr

    outbox = _fte(dev_stack, "outbox", "--channel", "email", "--json")
    sent = [json.loads(line) for line in outbox.stdout.splitlines()]
    mine = [m for m in sent if m["thread_id"] == thread[1]]
    assert len(mine) == 2
    assert {m["subject"] for m in mine} == {"Re: Reset password"}
    assert mine[1]["in_reply_to"] in mine[1]["references"]
    assert set(mine[0]) == {"to", "thread_id", "in_reply_to", "references", "subject", "text"}

    page = _status_page(mine[0])
    assert [m["role"] for m in page["messages"]] == ["customer", "agent", "customer", "agent"]
    assert {m["channel"] for m in page["messages"]} == {"email"}


def test_a_push_delivered_twice_is_answered_once(dev_stack: DevStack) -> None:
    dropped = trying.send_email(
        dev_stack.data_dir,
        sender="linus@example.com",
        body="How do I export my project?",
        subject="Export",
        thread=None,
        name=None,
    )
    wait_for(lambda: _answers_to(dev_stack, dropped["message_id"]), 60, "the answer")
    pushes = httpx.get(f"{_google(dev_stack)}/_standin/pushes", timeout=10).json()
    last = pushes[-1]

    replayed = httpx.post(
        f"{dev_stack.url}/api/v1/webhooks/gmail",
        json=last["body"],
        headers={"authorization": last["authorization"]},
        timeout=30,
    )

    assert replayed.status_code == 200 and replayed.json()["filed"] == 0
    assert len(_answers_to(dev_stack, dropped["message_id"])) == 1


def test_send_email_killed_after_gmail_took_the_reply_sends_it_once(tmp_path: Path) -> None:
    dev_stack = start_dev(tmp_path / "data", extra_args=UNTHROTTLED)  # its own: a kill is seen
    try:
        _killed_after_sending(dev_stack)
    finally:
        dev_stack.stop()


def _killed_after_sending(dev_stack: DevStack) -> None:
    google = _google(dev_stack)
    faults = {"stall_sends": 1, "stall_seconds": 60}  # Gmail sends, then never answers
    assert httpx.post(f"{google}/_standin/faults", json=faults, timeout=10).status_code == 200
    dropped = trying.send_email(
        dev_stack.data_dir,
        sender="barbara@example.com",
        body="How do I reset my password?",
        subject="Password",
        thread=None,
        name="Barbara Liskov",
    )
    wait_for(lambda: _answers_to(dev_stack, dropped["message_id"]), 60, "Gmail to take the reply")
    sender = dev_stack.process_named("--target=send_email")

    sender.kill()  # before it could record the send or answer the delivery

    def delivered() -> bool:
        page = _status_page(_answers_to(dev_stack, dropped["message_id"])[0])
        return [m["delivery_status"] for m in page["messages"] if m["role"] == "agent"] == [
            "delivered"
        ]

    wait_for(delivered, 60, "the restarted send-email to find the reply sent and record it")
    assert len(_answers_to(dev_stack, dropped["message_id"])) == 1
    assert dev_stack.process_named("--target=send_email").pid != sender.pid
