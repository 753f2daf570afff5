"""The WhatsApp channel under test: the Twilio stand-in and the real intake-whatsapp function,
each served on a loopback port, wired as the dev stack wires them (Twilio's callbacks reach the
function at PUBLIC_BASE_URL; the function's client reaches the stand-in at its base URL)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.types import ASGIApp

from shared.channels.twilio_api import get_client
from shared.config import get_settings
from shared.devstack.standins.launch import WEBHOOK_PATH
from shared.devstack.standins.twilio import TwilioStandIn, incoming_params, sign
from shared.serving import create_app
from tests.functions_under_test import REPO
from tests.serving import serve

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "standin-auth-token"
SENDER = "whatsapp:+14155238886"
CUSTOMER = "whatsapp:+14155550100"


@dataclass
class WhatsApp:
    """The stand-in, and where the function that receives Twilio's webhooks listens."""

    twilio: TwilioStandIn
    public_url: str  # PUBLIC_BASE_URL: the function, as Twilio reaches it

    @property
    def webhook_url(self) -> str:
        return self.public_url + WEBHOOK_PATH

    async def customer_writes(
        self, body: str, customer: str = CUSTOMER, **extra: str
    ) -> tuple[httpx.Response, dict[str, str]]:
        """The signed webhook Twilio posts when the customer writes; the answer and the form."""
        params = incoming_params(ACCOUNT_SID, customer, SENDER, body, "Ada") | extra
        self.twilio.customer_wrote(customer)
        return await post_signed(self.webhook_url, params), params


async def post_signed(
    url: str, params: dict[str, str], token: str = AUTH_TOKEN, signed_url: str | None = None
) -> httpx.Response:
    """POST the form as Twilio does, signed over ``signed_url`` (by default ``url``)."""
    headers = {"x-twilio-signature": sign(token, signed_url or url, params)}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(url, data=params, headers=headers)


def function_app(target: str) -> ASGIApp:
    return create_app(target, str(REPO / "functions" / target / "main.py"), "http")


@pytest.fixture
async def whatsapp(app_env: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[WhatsApp]:
    """The stand-in and intake-whatsapp, with the library configured to use both."""
    twilio = TwilioStandIn(ACCOUNT_SID, AUTH_TOKEN, (SENDER,))
    async with serve(twilio.app()) as api_url, serve(function_app("intake_whatsapp")) as url:
        for name, value in {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": SENDER,
            "TWILIO_API_BASE_URL": api_url,
            "PUBLIC_BASE_URL": url,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_client.cache_clear()
        twilio.webhook_url = url + WEBHOOK_PATH
        yield WhatsApp(twilio, url)
    get_client.cache_clear()


async def wait_until(check: object, timeout: float = 10.0, what: str = "the condition") -> object:
    """Poll an async ``check()`` until it returns something truthy, within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()  # type: ignore[operator]
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
