"""The Twilio Messages API as the WhatsApp sender uses it: the official client, one per process.

``TWILIO_API_BASE_URL`` (dev and tests) points the client at a stand-in through the SDK's own
extension point, a custom ``http_client`` (the helper library's documented way to change the
requests it makes); unset, requests go to Twilio unchanged. The client blocks, so each call
runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from shared.config import get_settings

T = TypeVar("T")
# The client logs each request's parameters (the customer's number, the text) at INFO.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
TWILIO_API = "https://api.twilio.com"
OUTSIDE_WINDOW = 63016  # a free-form message more than 24 hours after the customer wrote
TOO_MANY_REQUESTS = 20429


class _Rebased(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no types
    """Sends what the client addresses to api.twilio.com to ``base_url`` instead."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def make_client(
    account_sid: str, auth_token: str, base_url: str | None = None, timeout: float = 10.0
) -> Client:
    """A Twilio client for this account; ``base_url`` for a stand-in instead of Twilio."""
    http = _Rebased(base_url, timeout) if base_url else TwilioHttpClient(timeout=timeout)
    return Client(account_sid, auth_token, http_client=http)


@lru_cache(maxsize=1)
def get_client() -> Client:
    """The process's client, from configuration (read on first use)."""
    s = get_settings()
    if not s.twilio_account_sid or not s.twilio_auth_token:
        raise RuntimeError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send on WhatsApp")
    return make_client(
        s.twilio_account_sid, s.twilio_auth_token, s.twilio_api_base_url, s.twilio_timeout_seconds
    )


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


@dataclass(frozen=True)
class Listed:
    sid: str
    to: str
    from_: str
    body: str
    status: str
    created: datetime | None


class TwilioRefused(Exception):
    """Twilio answered with an error: ``retryable`` for 429 and 5xx, permanent otherwise."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"Twilio error {code} (HTTP {status}): {message}")
        self.status = status
        self.code = code

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500


async def send(to: str, body: str, status_callback: str, content_sid: str | None = None) -> Sent:
    """``messages.create`` from the configured sender; raises :class:`TwilioRefused`."""
    sender = get_settings().twilio_whatsapp_from
    extra: dict[str, Any] = {"content_sid": content_sid} if content_sid else {"body": body}

    def create() -> Sent:
        message = get_client().messages.create(
            to=to, from_=sender, status_callback=status_callback, **extra
        )
        return Sent(str(message.sid), str(message.status))

    return await _call(create)


async def recent(to: str, limit: int = 20) -> list[Listed]:
    """The latest messages from our sender to ``to``, newest first."""
    sender = get_settings().twilio_whatsapp_from

    def list_them() -> list[Listed]:
        found = get_client().messages.list(to=to, from_=sender, limit=limit)
        return [
            Listed(str(m.sid), str(m.to), str(m.from_), str(m.body), str(m.status), m.date_created)
            for m in found
        ]

    return await _call(list_them)


async def _call(call: Callable[[], T]) -> T:
    try:
        return await asyncio.to_thread(call)
    except TwilioRestException as exc:
        raise TwilioRefused(exc.status, exc.code, str(exc.msg)) from exc
