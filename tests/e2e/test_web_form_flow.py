"""A customer's web-form message, end to end through every process of the embedded stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.conftest import UNTHROTTLED, DevStack, start_dev, wait_for

pytestmark = pytest.mark.e2e

FORM = {
    "name": "Ada",
    "email": "Ada@Example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


def _reply_visible(api: httpx.Client, receipt: dict[str, Any]) -> dict[str, Any] | None:
    response = api.get(receipt["status_url"].replace(str(api.base_url).rstrip("/"), ""))
    if response.status_code != 200:
        return None
    ticket = response.json()
    delivered = [
        m
        for m in ticket["messages"]
        if m["role"] == "agent" and m["delivery_status"] == "delivered"
    ]
    return ticket if delivered else None


def test_a_posted_form_shows_the_agents_reply_on_the_ticket_status(api: httpx.Client) -> None:
    response = api.post("/api/v1/support/form", json=FORM)
    assert response.status_code == 202
    receipt = response.json()
    assert receipt["ticket_number"].startswith("TKT-")

    ticket = wait_for(lambda: _reply_visible(api, receipt), 60, "the agent's reply")
    assert isinstance(ticket, dict)
    assert ticket["status"] == "answered"
    roles = [m["role"] for m in ticket["messages"]]
    assert roles == ["customer", "agent"]
    assert ticket["messages"][0]["content"] == FORM["message"]
    assert "reset" in ticket["messages"][1]["content"].lower()  # answered from the product docs


def test_the_status_page_refuses_a_wrong_token(api: httpx.Client) -> None:
    receipt = api.post("/api/v1/support/form", json=FORM).json()
    assert (
        api.get(
            f"/api/v1/tickets/{receipt['ticket_number']}", params={"token": "wrong"}
        ).status_code
        == 404
    )


def test_bad_input_gets_422_through_the_gateway(api: httpx.Client) -> None:
    response = api.post("/api/v1/support/form", json={**FORM, "email": "not-an-email"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"


def test_health_reports_database_broker_model_and_the_gmail_watch(api: httpx.Client) -> None:
    body = api.get("/api/v1/health").json()
    assert body.pop("gmail_watch")["status"] == "ok"  # the dev stack watches at start
    assert set(body.pop("staff_queue")) == {"waiting", "overdue"}
    lag = body.pop("consumer_lag")
    assert lag["threshold"] == 100
    assert "fte-agent-runner" in lag["routes"]  # every route's group, as the dispatcher runs it
    assert body.pop("warnings") == []
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
        "model": "offline-deterministic-v1",
    }


def test_ctrl_c_stops_every_process_and_a_restart_keeps_the_data(tmp_path: Path) -> None:
    first = start_dev(tmp_path / "data", extra_args=UNTHROTTLED)
    children = psutil.Process(first.process.pid).children(recursive=True)
    with httpx.Client(base_url=first.url, timeout=30) as api:
        receipt = api.post("/api/v1/support/form", json=FORM).json()
        wait_for(lambda: _reply_visible(api, receipt), 60, "the agent's reply")

    assert first.stop() == 0
    assert children and not [
        c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE
    ]

    second = start_dev(tmp_path / "data", extra_args=UNTHROTTLED)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as api:
            ticket = _reply_visible(
                api, {**receipt, "status_url": receipt["status_url"].replace(first.url, "")}
            )
            assert ticket is not None
            assert ticket["ticket_number"] == receipt["ticket_number"]
    finally:
        assert second.stop() == 0


def test_the_output_names_the_urls(dev_stack: DevStack) -> None:
    text = dev_stack.output.read_text()
    assert f"Support form  {dev_stack.url}/" in text
    assert "/api/v1/health" in text
