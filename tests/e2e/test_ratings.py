"""Ratings in a real Chromium against ``fte dev``: a person resolves a ticket, the customer is
asked on their channel (the status page, an email with a link, a WhatsApp message) exactly once,
and their rating lands in Postgres with the channel they gave it on."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.devstack import trying
from shared.devstack.standins.launch import read_twilio_account
from shared.devstack.try_whatsapp import sent_messages
from tests.e2e.conftest import DevStack, wait_for
from tests.e2e.test_browser import _screenshot, _serious_violations, browser, page
from tests.e2e.test_staff_inbox import (
    REFUND,
    StaffAccount,
    _database_url,
    _escalated,
    _sign_in,
    staff,
)

pytestmark = pytest.mark.e2e

__all__ = ["browser", "page", "staff"]  # fixtures shared with the other browser tests

ESCALATION_TIMEOUT = 60
PROMPT = "Reply with a number 1 to 5"


def _fetch(stack: DevStack, sql: str, *args: object) -> list[asyncpg.Record]:
    """A query on the stack's Postgres, on a thread of its own (Playwright's loop is this one's)."""

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(_database_url(stack))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _ratings(stack: DevStack, number: str) -> list[tuple[str, int]]:
    rows = _fetch(
        stack,
        """SELECT r.channel, r.score FROM ticket_ratings r JOIN tickets t ON t.id = r.ticket_id
           WHERE t.ticket_number = $1 ORDER BY r.rated_at""",
        number,
    )
    return [(r["channel"], r["score"]) for r in rows]


def _request_delivered(stack: DevStack, number: str) -> bool:
    """The rating request's message went out: a second copy would be sent by now."""
    rows = _fetch(
        stack,
        """SELECT m.delivery_status FROM messages m JOIN tickets t ON t.id = m.ticket_id
           JOIN rating_requests r ON r.ticket_id = t.id AND m.event_id = r.event_id
           WHERE t.ticket_number = $1""",
        number,
    )
    return any(r["delivery_status"] in ("sent", "delivered", "read") for r in rows)


@pytest.fixture
def signed_in(dev_stack: DevStack, staff: StaffAccount) -> Iterator[tuple[httpx.Client, str]]:
    """The staff API signed in: the client (its cookie kept) and the session's CSRF token."""
    with httpx.Client(base_url=dev_stack.url, timeout=30) as client:
        answer = client.post(
            "/api/v1/staff/session", json={"email": staff.email, "password": staff.password}
        )
        assert answer.status_code == 200, answer.text
        yield client, answer.json()["csrf_token"]


def _resolve(signed_in: tuple[httpx.Client, str], number: str) -> None:
    client, csrf = signed_in
    for _ in range(2):  # resolving twice must not ask twice
        answer = client.post(
            f"/api/v1/staff/tickets/{number}/resolve", headers={"x-csrf-token": csrf}
        )
        assert answer.status_code == 200, answer.text


def _rate_on_the_page(page: Page, score_name: str) -> None:
    rating = page.get_by_role("group", name="How did we do?")
    expect(rating).to_be_visible(timeout=15_000)
    assert _serious_violations(page) == []
    page.get_by_role("radio", name=score_name).check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_test_id("rating-saved")).to_contain_text("out of 5", timeout=15_000)


def test_staff_resolve_a_web_ticket_and_the_customer_rates_it_on_the_status_page(
    page: Page, dev_stack: DevStack, api: httpx.Client, staff: StaffAccount
) -> None:
    receipt = api.post(
        "/api/v1/support/form",
        json={
            "name": "Ada Lovelace",
            "email": f"ada.{uuid.uuid4().hex[:6]}@example.com",
            "subject": "Refund for last month",
            "message": REFUND,
        },
    )
    assert receipt.status_code == 202, receipt.text
    number, token = receipt.json()["ticket_number"], receipt.json()["access_token"]

    def escalated() -> bool:
        ticket = api.get(f"/api/v1/tickets/{number}", headers={"authorization": f"Bearer {token}"})
        return ticket.status_code == 200 and ticket.json()["status"] == "escalated"

    wait_for(escalated, ESCALATION_TIMEOUT, "the refund request to be escalated")
    _sign_in(page, dev_stack, staff)
    page.locator(f'[data-testid="queue-row"][data-ticket="{number}"]').get_by_role("link").click()
    page.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")

    customer = page.context.new_page()
    customer.goto(f"{dev_stack.url}/?ticket={number}#token={token}")
    expect(customer.get_by_test_id("ticket-status")).to_have_attribute("data-status", "resolved")
    customer.get_by_role("radio", name="1 Poor").focus()  # the keyboard alone: arrows, Tab, Enter
    expect(customer.get_by_role("group", name="How did we do?")).to_be_visible()
    assert _serious_violations(customer) == []
    customer.keyboard.press("ArrowRight")
    customer.keyboard.press("ArrowRight")
    customer.keyboard.press("ArrowRight")
    expect(customer.get_by_role("radio", name="4 Very good")).to_be_checked()
    customer.keyboard.press("Tab")
    expect(customer.get_by_role("button", name="Send rating")).to_be_focused()
    customer.keyboard.press("Enter")
    expect(customer.get_by_test_id("rating-saved")).to_contain_text("4 out of 5", timeout=15_000)
    assert _serious_violations(customer) == []
    _screenshot(customer, "rating-1-status-page")

    assert _ratings(dev_stack, number) == [("web_form", 4)]
    assert (
        _fetch(
            dev_stack,
            "SELECT 1 FROM rating_requests r JOIN tickets t ON t.id = "
            "r.ticket_id WHERE t.ticket_number = $1",
            number,
        )
        == []
    )  # the page asks


def test_an_email_customer_gets_the_rating_link_once_and_following_it_rates_by_email(
    browser: Browser, page: Page, dev_stack: DevStack, signed_in: tuple[httpx.Client, str]
) -> None:
    sender = f"grace.{uuid.uuid4().hex[:6]}@example.com"
    dropped = trying.send_email(
        dev_stack.data_dir, sender=sender, body=REFUND, subject="Refund", thread=None, name="Grace"
    )
    number = _escalated(signed_in[0], email=sender)
    _resolve(signed_in, number)

    def asked() -> list[dict[str, Any]]:
        return [
            m
            for m in trying.sent_mail(dev_stack.data_dir)
            if sender in m["to"] and "How did we do?" in m["text"]
        ]

    wait_for(asked, 60, "the rating request in the sent mail")
    wait_for(lambda: _request_delivered(dev_stack, number), 60, "the request marked sent")
    [mail] = asked()
    assert mail["thread_id"] == dropped["thread_id"]
    links = re.findall(r"https?://\S+[?&]rate=email#token=\S+", mail["text"])
    assert len(links) == 1, mail["text"]
    assert links[0].startswith(f"{dev_stack.url}/?ticket={number}&rate=email#token=")
    assert _ratings(dev_stack, number) == []  # the link alone rates nothing

    page.goto(links[0])
    _rate_on_the_page(page, "5 Excellent")
    _screenshot(page, "rating-2-from-the-email-link")

    assert _ratings(dev_stack, number) == [("email", 5)]


def test_a_whatsapp_customer_is_asked_once_and_replying_4_rates_without_a_new_ticket(
    dev_stack: DevStack, signed_in: tuple[httpx.Client, str]
) -> None:
    phone = f"+1415556{uuid.uuid4().int % 10_000:04d}"
    account = read_twilio_account(dev_stack.data_dir)

    def customer_writes(body: str) -> None:
        inbound = {"from": phone, "body": body, "profile_name": "Linus", "message_sid": None}
        written = httpx.post(f"{account.api_base_url}/_standin/inbound", json=inbound, timeout=30)
        assert written.json()["webhook_status"] == 200

    def to_customer(text: str) -> list[dict[str, Any]]:
        return [
            m
            for m in sent_messages(dev_stack.data_dir)
            if m["to"] == f"whatsapp:{phone}" and text in m["body"]
        ]

    customer_writes(REFUND)
    number = _escalated(signed_in[0], phone=phone)
    _resolve(signed_in, number)

    wait_for(lambda: to_customer(PROMPT), 60, "the rating request on WhatsApp")
    wait_for(lambda: _request_delivered(dev_stack, number), 60, "the request marked sent")
    assert len(to_customer(PROMPT)) == 1
    assert number in to_customer(PROMPT)[0]["body"]

    customer_writes("4")

    wait_for(lambda: _ratings(dev_stack, number), 30, "the rating stored")
    assert _ratings(dev_stack, number) == [("whatsapp", 4)]
    wait_for(lambda: to_customer("Thank you for rating"), 60, "the thanks on WhatsApp")
    tickets = _fetch(
        dev_stack,
        """SELECT t.ticket_number FROM tickets t JOIN customer_identifiers i
           ON i.customer_id = t.customer_id WHERE i.kind = 'phone' AND i.value = $1""",
        phone,
    )
    assert [t["ticket_number"] for t in tickets] == [number]
