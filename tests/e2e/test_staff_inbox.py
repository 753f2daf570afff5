"""The support inbox in a real Chromium against ``fte dev``: an escalated ticket, a person signs in
at /staff/, opens it and answers, and the answer reaches the customer on their own channel.

axe-core checks the inbox's pages for serious or critical violations; screenshots land in
test-artifacts/screenshots/, and ``staff-inbox.png`` there (the queue beside the ticket) is the
picture in docs/ (``FTE_DOCS_SCREENSHOT=1`` writes it there too).
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from shared.devstack import trying
from shared.devstack.standins.launch import read_twilio_account
from shared.devstack.try_whatsapp import sent_messages
from tests.e2e.conftest import REPO, DevStack, wait_for
from tests.e2e.test_browser import _screenshot, _serious_violations, browser, page

pytestmark = pytest.mark.e2e

__all__ = ["browser", "page"]  # the browser fixtures, shared with the support page's tests

REFUND = "I want a refund for last month, please."
ESCALATION_TIMEOUT = 60
DOCS_SCREENSHOT = REPO / "docs" / "staff-inbox.png"


@dataclass(frozen=True)
class StaffAccount:
    email: str
    name: str
    password: str


def _database_url(stack: DevStack) -> str:
    """The stack's PostgreSQL, as ``fte dev`` prints it for a person to copy."""
    printed = re.search(r"^\s*Postgres\s+(\S+)$", stack.output.read_text(), re.MULTILINE)
    assert printed, stack.output.read_text()
    return printed[1]


@pytest.fixture(scope="module")
def staff(dev_stack: DevStack) -> StaffAccount:
    """An account made as a newcomer makes one: ``fte staff add``, the password on stdin."""
    account = StaffAccount(
        f"sam.{uuid.uuid4().hex[:8]}@northwind.example", "Sam Lee", uuid.uuid4().hex
    )
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "staff",
            "add",
            account.email,
            "--name",
            account.name,
            "--password-stdin",
            "--database-url",
            _database_url(dev_stack),
        ],
        cwd=REPO,
        input=account.password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    return account


@pytest.fixture
def staff_api(dev_stack: DevStack, staff: StaffAccount) -> Iterator[httpx.Client]:
    """The staff API signed in (its cookie kept), to find tickets that came by email or WhatsApp."""
    with httpx.Client(base_url=dev_stack.url, timeout=30) as client:
        signed_in = client.post(
            "/api/v1/staff/session", json={"email": staff.email, "password": staff.password}
        )
        assert signed_in.status_code == 200, signed_in.text
        yield client


def _escalated(staff_api: httpx.Client, **customer: str) -> str:
    """The number of the escalated ticket of the customer with these contacts, once there is one."""

    def find() -> str | None:
        answer = staff_api.get("/api/v1/staff/tickets", params={"view": "all"})
        assert answer.status_code == 200, answer.text
        for ticket in answer.json()["tickets"]:
            person = ticket["customer"]
            if ticket["status"] == "escalated" and all(
                person.get(k) == v for k, v in customer.items()
            ):
                return str(ticket["ticket_number"])
        return None

    number = wait_for(find, ESCALATION_TIMEOUT, f"an escalated ticket for {customer}")
    return str(number)


def _wait_delivered(staff_api: httpx.Client, number: str, text: str) -> None:
    """Until the ticket's history says the answer went out: a second copy would be sent by now."""

    def delivered() -> bool:
        history = staff_api.get(f"/api/v1/staff/tickets/{number}").json()["history"]
        return any(
            m["role"] == "staff"
            and text in m["content"]
            and m["delivery_status"] in ("sent", "delivered", "read")
            for m in history
        )

    wait_for(delivered, 60, "the answer marked as sent")


def _sign_in(page: Page, dev_stack: DevStack, staff: StaffAccount) -> None:
    page.goto(dev_stack.url + "/staff/")
    expect(page.get_by_role("heading", name="Sign in to the support inbox")).to_be_visible()
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill(staff.password)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text(staff.name)


def _answer(page: Page, number: str, text: str) -> None:
    """From the queue: open the ticket, answer, and see the answer in its conversation."""
    row = page.locator(f'[data-testid="queue-row"][data-ticket="{number}"]')
    expect(row).to_be_visible(timeout=15_000)  # the queue polls: no reload
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"Ticket {number}")).to_be_focused()
    page.get_by_label("Answer the customer").fill(text)
    page.get_by_role("button", name="Send answer").click()
    answers = page.locator('[data-testid="thread-message"][data-role="staff"]')
    expect(answers.filter(has_text=text)).to_have_count(1, timeout=15_000)


def _side_by_side(browser: Browser, left: Path, right: Path, target: Path) -> None:
    """One picture of two screenshots, drawn by Chromium on a blank page of its own."""
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        for p in (left, right)
    )
    sheet = browser.new_page(viewport={"width": 2 * 1280 + 72, "height": 400})
    try:
        sheet.set_content(
            "<style>body{margin:0;display:flex;gap:24px;padding:24px;background:#d9dee7;"
            "align-items:flex-start}img{width:1280px;box-shadow:0 2px 8px #0003}</style>" + images
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        sheet.screenshot(path=str(target), full_page=True)
    finally:
        sheet.close()


def test_an_escalated_web_ticket_is_answered_from_the_inbox_and_shown_to_the_customer(
    browser: Browser, page: Page, dev_stack: DevStack, api: httpx.Client, staff: StaffAccount
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

    started = time.monotonic()
    _sign_in(page, dev_stack, staff)
    row = page.locator(f'[data-testid="queue-row"][data-ticket="{number}"]')
    expect(row).to_contain_text("Refund request")
    expect(row).to_contain_text("Web form")
    expect(page.get_by_test_id("count-waiting")).to_contain_text("waiting")
    assert _serious_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 480})  # the shot as tall as the queue
    queue_shot = _screenshot(page, "staff-1-queue")
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("link").click()
    expect(page.get_by_test_id("handover-reason")).to_contain_text("Refund request")
    customer = page.locator('[data-testid="thread-message"][data-role="customer"]')
    expect(customer.first).to_contain_text(REFUND)
    page.get_by_label("Add a note").fill("Refund approved by billing.")
    page.get_by_role("checkbox", name="Private").check()
    page.get_by_role("button", name="Add note").click()
    expect(page.locator('[data-testid="note"][data-private="true"]')).to_contain_text(
        "Refund approved by billing."
    )
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_test_id("assignee")).to_have_text(staff.name)

    answer = "I have refunded last month's charge; you will see it in 5 to 10 days. — Sam"
    page.get_by_label("Answer the customer").fill(answer)
    page.get_by_role("button", name="Send answer").click()
    staff_answers = page.locator('[data-testid="thread-message"][data-role="staff"]')
    expect(staff_answers.filter(has_text=answer)).to_have_count(1, timeout=15_000)
    first_answer_seconds = time.monotonic() - started
    expect(page.get_by_test_id("action").first).to_be_visible()
    assert _serious_violations(page) == []
    ticket_shot = _screenshot(page, "staff-2-ticket")

    customer_page = page.context.new_page()
    customer_page.goto(f"{dev_stack.url}/?ticket={number}#token={token}")
    from_team = customer_page.locator('[data-testid="thread-message"][data-role="staff"]')
    expect(from_team).to_contain_text(answer, timeout=15_000)
    expect(from_team).to_contain_text("Support team")
    assert _serious_violations(customer_page) == []
    _screenshot(customer_page, "staff-3-customer-sees-the-answer")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to the support inbox")).to_be_visible()
    assert _serious_violations(page) == []

    combined = Path(str(queue_shot).replace("staff-1-queue", "staff-inbox"))
    _side_by_side(browser, queue_shot, ticket_shot, combined)
    if os.environ.get("FTE_DOCS_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        DOCS_SCREENSHOT.write_bytes(combined.read_bytes())
    print(f"sign-in to first answer shown: {first_answer_seconds:.1f} s")


def test_a_locked_out_or_wrong_password_is_told_plainly(
    page: Page, dev_stack: DevStack, staff: StaffAccount
) -> None:
    page.goto(dev_stack.url + "/staff/")
    page.get_by_label("Email").fill(staff.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("Wrong email or password")
    expect(page.get_by_label("Password")).to_be_focused()
    assert _serious_violations(page) == []
    _screenshot(page, "staff-4-wrong-password")


def test_an_escalated_email_is_answered_once_in_the_customers_thread(
    browser: Browser, page: Page, dev_stack: DevStack, staff: StaffAccount, staff_api: httpx.Client
) -> None:
    sender = f"grace.{uuid.uuid4().hex[:6]}@example.com"
    dropped = trying.send_email(
        dev_stack.data_dir,
        sender=sender,
        body=REFUND,
        subject="Refund",
        thread=None,
        name="Grace Hopper",
    )
    number = _escalated(staff_api, email=sender)
    _sign_in(page, dev_stack, staff)
    answer = f"Refund sent, Grace. ({uuid.uuid4().hex[:6]})"
    _answer(page, number, answer)

    def mailed() -> list[dict[str, Any]]:
        return [m for m in trying.sent_mail(dev_stack.data_dir) if answer in m["text"]]

    wait_for(mailed, 60, "the answer in the sent mail")
    _wait_delivered(staff_api, number, answer)
    assert len(mailed()) == 1
    mail = mailed()[0]
    assert sender in mail["to"]
    assert mail["thread_id"] == dropped["thread_id"]


def test_an_escalated_whatsapp_message_is_answered_once_on_whatsapp(
    browser: Browser, page: Page, dev_stack: DevStack, staff: StaffAccount, staff_api: httpx.Client
) -> None:
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    account = read_twilio_account(dev_stack.data_dir)
    inbound = {"from": phone, "body": REFUND, "profile_name": "Linus", "message_sid": None}
    written = httpx.post(f"{account.api_base_url}/_standin/inbound", json=inbound, timeout=30)
    assert written.json()["webhook_status"] == 200
    number = _escalated(staff_api, phone=phone)
    _sign_in(page, dev_stack, staff)
    answer = f"Refund sent, Linus. ({uuid.uuid4().hex[:6]})"
    _answer(page, number, answer)

    def messaged() -> list[dict[str, Any]]:
        return [
            m
            for m in sent_messages(dev_stack.data_dir)
            if m["to"] == f"whatsapp:{phone}" and answer in m["body"]
        ]

    wait_for(messaged, 60, "the answer on WhatsApp")
    _wait_delivered(staff_api, number, answer)
    assert len(messaged()) == 1
