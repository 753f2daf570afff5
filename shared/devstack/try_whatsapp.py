"""``fte try whatsapp`` and ``fte try outbox --channel whatsapp``: the channel as a newcomer tries it.

``try whatsapp`` has the running stack's Twilio stand-in play a customer: it posts the signed
incoming-message webhook to the stack, exactly as Twilio would, then waits for the answer's
parts. ``try outbox`` lists what was sent, through the Twilio client's own ``messages.list``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from shared.channels.twilio_api import make_client
from shared.devstack.standins.launch import TwilioAccount, read_twilio_account
from shared.identity import InvalidIdentifier, normalize_phone


def _account(data_dir: Path) -> TwilioAccount:
    try:
        return read_twilio_account(data_dir)
    except FileNotFoundError as exc:
        raise SystemExit(
            f"no running stack found under {data_dir}/: start it with `nox -s dev` (or `fte dev`)"
        ) from exc


def sent_messages(data_dir: Path) -> list[dict[str, Any]]:
    """Every message the stack sent on WhatsApp, oldest first: to, from, body, sid, status."""
    account = _account(data_dir)
    client = make_client(account.account_sid, account.auth_token, account.api_base_url)
    found = client.messages.list(from_=account.sender, limit=1000)
    return [
        {"to": m.to, "from": m.from_, "body": m.body, "sid": m.sid, "status": m.status}
        for m in reversed(found)
    ]


def try_outbox(data_dir: Path, as_json: bool) -> int:
    messages = sent_messages(data_dir)
    for m in messages:
        if as_json:
            print(json.dumps(m, ensure_ascii=False))
        else:
            print(f"{m['sid']}  {m['status']:<10} to {m['to']}\n  {m['body']}")
    if not messages and not as_json:
        print("nothing sent on WhatsApp yet")
    return 0


def try_whatsapp(data_dir: Path, phone: str, body: str, name: str, wait: float) -> int:
    """The customer writes; print what the webhook answered, then the answer's parts."""
    try:
        customer = "whatsapp:" + normalize_phone(phone, strict=False)
    except InvalidIdentifier as exc:
        print(f"error: --from: {exc}")
        return 2
    account = _account(data_dir)
    before = {m["sid"] for m in sent_messages(data_dir)}
    want = {"from": customer, "body": body, "profile_name": name}
    answer = httpx.post(f"{account.api_base_url}/_standin/inbound", json=want, timeout=30).json()
    print(f"→ {customer} wrote to {account.sender} (MessageSid {answer['sid']})")
    print(f"  webhook {account.webhook_url} answered {answer['webhook_status']}")
    if answer["webhook_status"] != 200:
        return 1
    replies = _wait_for_replies(data_dir, customer, before, wait)
    for m in replies:
        print(f"← {m['sid']} [{m['status']}]\n  {m['body']}")
    if not replies:
        print(f"  no answer within {wait:g}s (see `fte try outbox --channel whatsapp`)")
    return 0 if replies else 1


def _wait_for_replies(
    data_dir: Path, customer: str, before: set[str], wait: float
) -> list[dict[str, Any]]:
    """The parts of the answer: new messages to ``customer``, once no new one came for 1 s."""
    deadline, quiet_since, seen = time.monotonic() + wait, time.monotonic(), 0
    new: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        new = [m for m in sent_messages(data_dir) if m["to"] == customer and m["sid"] not in before]
        if len(new) != seen:
            seen, quiet_since = len(new), time.monotonic()
        elif new and time.monotonic() - quiet_since > 1.0:
            break
        time.sleep(0.2)
    return new
