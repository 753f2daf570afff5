"""WhatsApp through the running stack: Twilio's signed webhook in, the agent's answer out through
the Twilio stand-in, its signed status callbacks back, all as ``fte dev`` runs them."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx
import pytest

from shared.devstack.standins.launch import read_twilio_account
from shared.devstack.try_whatsapp import sent_messages
from tests.e2e.conftest import DevStack, delivered_answers, wait_for

pytestmark = pytest.mark.e2e


def _write(stack: DevStack, phone: str, body: str, message_sid: str | None = None) -> Any:
    """The stand-in plays the customer: it posts the signed webhook to the gateway."""
    account = read_twilio_account(stack.data_dir)
    want = {"from": phone, "body": body, "profile_name": "Grace", "message_sid": message_sid}
    answer = httpx.post(f"{account.api_base_url}/_standin/inbound", json=want, timeout=30).json()
    assert answer["webhook_status"] == 200
    return answer


def _sent_to(stack: DevStack, phone: str) -> list[dict[str, Any]]:
    return [m for m in sent_messages(stack.data_dir) if m["to"] == f"whatsapp:{phone}"]


def _kill(stack: DevStack, target: str) -> None:
    """SIGKILL a function's processes, as a node losing the pod; `fte dev` restarts it."""
    process = stack.process_named(f"--target={target}")
    os.killpg(os.getpgid(process.pid), signal.SIGKILL)


def test_a_retried_webhook_and_a_killed_sender_still_get_one_answer_that_is_read(
    dev_stack: DevStack,
) -> None:
    phone = "+14155550161"
    first = _write(dev_stack, phone, "How do I reset my password?")
    _kill(dev_stack, "send_whatsapp")
    _write(dev_stack, phone, "How do I reset my password?", message_sid=first["sid"])

    answer = wait_for(lambda: _sent_to(dev_stack, phone), 90, "the answer on WhatsApp")
    assert isinstance(answer, list)
    wait_for(
        lambda: all(m["status"] == "read" for m in _sent_to(dev_stack, phone)),
        30,
        "every part read",
    )
    parts = _sent_to(dev_stack, phone)
    assert len(parts) == len({m["sid"] for m in parts})
    assert "reset" in parts[0]["body"].lower()
    assert all(len(m["body"]) <= 1600 for m in parts)


def test_a_web_form_customer_writing_on_whatsapp_is_one_customer_with_one_history(
    dev_stack: DevStack, api: httpx.Client
) -> None:
    phone = "+14155550162"
    form = {
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "phone": phone,
        "subject": "Password",
        "message": "How do I reset my password?",
    }
    receipt = api.post("/api/v1/support/form", json=form).json()
    wait_for(lambda: delivered_answers(api, receipt), 90, "the web answer")

    _write(dev_stack, phone, "And how do I change my password on WhatsApp?")
    [reply] = wait_for(lambda: _sent_to(dev_stack, phone), 90, "the WhatsApp answer")  # type: ignore[misc]
    assert f"earlier message on the web form ({receipt['ticket_number']})" in reply["body"]

    def whatsapp_reply_read() -> list[dict[str, Any]] | None:
        thread = api.get(
            f"/api/v1/tickets/{receipt['ticket_number']}",
            headers={"authorization": f"Bearer {receipt['access_token']}"},
        ).json()["messages"]
        on_whatsapp = [m for m in thread if m["channel"] == "whatsapp"]
        done = [m for m in on_whatsapp if m["role"] == "agent" and m["delivery_status"] == "read"]
        return on_whatsapp if done else None

    exchange = wait_for(whatsapp_reply_read, 30, "the status page to show the reply read")
    assert [(m["role"], m["delivery_status"]) for m in exchange] == [  # type: ignore[union-attr]
        ("customer", "received"),
        ("agent", "read"),
    ]
