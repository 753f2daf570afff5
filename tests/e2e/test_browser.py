"""The support page in a real Chromium against the running system: form → ticket → reply → follow-up.

Screenshots land in test-artifacts/screenshots/; axe-core checks each page for serious or
critical accessibility violations.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, expect, sync_playwright

from tests.e2e.conftest import DevStack

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AGENT_REPLY_TIMEOUT_MS = 60_000
TICKET_NUMBER = re.compile(r"^TKT-\d{4,}$")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required (nox -s tests installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page that fails its test if the Content-Security-Policy blocked anything on it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", on_console)
    yield page
    context.close()
    assert refused == [], f"the page's CSP blocked something: {refused}"


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _fill_form(page: Page, email: str) -> None:
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Subject").fill("Reset password")
    page.get_by_label("Message").fill("How do I reset my password?")


def test_a_customer_submits_sees_the_reply_and_follows_up(page: Page, dev_stack: DevStack) -> None:
    page.goto(dev_stack.url + "/")
    expect(page.get_by_role("button", name="Send message")).to_be_visible()
    assert _serious_violations(page) == []
    _fill_form(page, "ada.browser@example.com")
    _screenshot(page, "1-support-form")

    page.get_by_role("button", name="Send message").click()
    ticket_number = page.get_by_test_id("ticket-number")
    expect(ticket_number).to_have_text(TICKET_NUMBER, timeout=15_000)
    _screenshot(page, "2-success")

    page.get_by_test_id("status-link").click()
    agent_messages = page.locator('[data-testid="thread-message"][data-role="agent"]')
    expect(agent_messages).to_have_count(1, timeout=AGENT_REPLY_TIMEOUT_MS)
    expect(page.get_by_test_id("ticket-status")).to_have_attribute("data-status", "answered")
    expect(
        page.locator('[data-testid="thread-message"][data-role="customer"]').first
    ).to_contain_text("How do I reset my password?")
    assert _serious_violations(page) == []
    _screenshot(page, "3-status-with-reply")

    page.get_by_label("Add a reply").fill("Thanks! And how do I turn on two-factor authentication?")
    page.get_by_role("button", name="Send reply").click()
    expect(agent_messages).to_have_count(2, timeout=AGENT_REPLY_TIMEOUT_MS)
    _screenshot(page, "4-follow-up-answered")


def test_mistakes_are_shown_next_to_the_fields_before_sending(
    page: Page, dev_stack: DevStack
) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/" in r.url else None)
    page.goto(dev_stack.url + "/")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name")).to_be_focused()
    assert requests == []
    _screenshot(page, "5-validation-errors")


def test_the_form_works_on_a_phone_sized_screen(browser: Browser, dev_stack: DevStack) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(dev_stack.url + "/")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways ({width}px)"
        assert _serious_violations(page) == []
        _fill_form(page, "ada.phone@example.com")
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_test_id("ticket-number")).to_have_text(TICKET_NUMBER, timeout=15_000)
        _screenshot(page, "6-phone-success")
    finally:
        context.close()


def test_an_unreachable_server_gives_a_clear_message(page: Page, dev_stack: DevStack) -> None:
    page.goto(dev_stack.url + "/")
    page.route("**/api/v1/support/form", lambda route: route.abort("connectionrefused"))
    _fill_form(page, "ada.offline@example.com")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("alert")).to_contain_text("couldn't reach the support server")
    _screenshot(page, "7-server-unreachable")


def test_the_form_embedded_in_another_site_submits_across_origins(
    page: Page, dev_stack: DevStack
) -> None:
    """The documented snippet on a page of another origin (another port) talks to the API."""
    snippet = (
        f"<!doctype html><html><head><title>Shop</title>"
        f'<link rel="stylesheet" href="{dev_stack.url}/assets/fte-support.css"></head>'
        f'<body><h1>Our shop</h1><div id="fte-support" data-api-base="{dev_stack.url}"></div>'
        f'<script type="module" src="{dev_stack.url}/assets/fte-support.js"></script></body></html>'
    ).encode()

    class ShopPage(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(snippet)

        def log_message(self, *args: object) -> None:
            pass

    shop = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    threading.Thread(target=shop.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{shop.server_address[1]}/")
        _fill_form(page, "ada.embedded@example.com")
        page.get_by_role("button", name="Send message").click()
        expect(page.get_by_test_id("ticket-number")).to_have_text(TICKET_NUMBER, timeout=15_000)
        _screenshot(page, "8-embedded-in-another-site")
    finally:
        shop.shutdown()


def _new_ticket(api: httpx.Client, email: str) -> tuple[str, str]:
    response = api.post(
        "/api/v1/support/form",
        json={
            "name": "Ada",
            "email": email,
            "subject": "Token links",
            "message": "Is my link safe?",
        },
    )
    assert response.status_code == 202, response.text
    return response.json()["ticket_number"], response.json()["access_token"]


def _ticket_requests(page: Page) -> list[Request]:
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r) if "/api/v1/tickets/" in r.url else None)
    return requests


def test_the_page_is_served_with_a_strict_policy(page: Page, dev_stack: DevStack) -> None:
    response = page.goto(dev_stack.url + "/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.get_by_role("button", name="Send message")).to_be_visible()


@pytest.mark.parametrize("link", ["new", "old"])
def test_a_ticket_link_keeps_its_token_out_of_every_request(
    page: Page, dev_stack: DevStack, api: httpx.Client, link: str
) -> None:
    """A new link has the token in the fragment; an old ``?token=`` one is moved there."""
    number, token = _new_ticket(api, f"ada.{link}-link@example.com")
    quoted = urllib.parse.quote(token, safe="")
    url = (
        f"/?ticket={number}#token={quoted}"
        if link == "new"
        else f"/?ticket={number}&token={quoted}"
    )
    requests = _ticket_requests(page)
    page.goto(dev_stack.url + url)
    expect(page.get_by_role("heading", name=f"Ticket {number}")).to_be_visible()
    expect(page.get_by_test_id("ticket-status")).to_be_visible(timeout=15_000)

    address = urllib.parse.urlsplit(page.url)
    assert urllib.parse.parse_qs(address.query) == {"ticket": [number]}
    assert urllib.parse.parse_qs(address.fragment) == {"token": [token]}
    assert requests, "the page never asked for the ticket"
    for request in requests:
        assert token not in request.url
        assert request.headers.get("authorization") == f"Bearer {token}"
        assert not request.headers.get("referer")  # Referrer-Policy: no-referrer
    if link == "old":  # the address with the token in the query is gone from the history
        page.go_back()
        assert token not in urllib.parse.urlsplit(page.url).query
