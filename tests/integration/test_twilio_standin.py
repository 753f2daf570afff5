"""The Twilio stand-in, driven only as the channel drives Twilio: the official ``twilio`` client
(through ``shared.channels.twilio_api``), and signatures checked with the SDK's RequestValidator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from shared.channels import twilio_api
from shared.channels.twilio_api import TwilioRefused
from shared.config import get_settings
from tests.serving import serve
from tests.whatsapp_fixtures import AUTH_TOKEN, CUSTOMER, WhatsApp, wait_until


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A status-callback endpoint that keeps what it got and whether Twilio's signature holds."""
    got: list[dict[str, Any]] = []
    holder: dict[str, str] = {}

    async def callback(request: Request) -> Response:
        form = await request.form()
        url = holder["url"] + "/status?part=1"
        valid = RequestValidator(AUTH_TOKEN).validate(
            url, form, request.headers.get("x-twilio-signature", "")
        )
        got.append({"form": dict(form), "valid": valid})
        return Response(status_code=200)

    async with serve(Starlette(routes=[Route("/status", callback, methods=["POST"])])) as url:
        holder["url"] = url
        yield url, got


async def test_an_accepted_message_is_queued_and_reports_sent_delivered_read_signed(
    whatsapp: WhatsApp, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, got = receiver
    whatsapp.twilio.customer_wrote(CUSTOMER)
    sent = await twilio_api.send(CUSTOMER, "Hello from support.", f"{url}/status?part=1")

    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert sent.status == "queued"
    await wait_until(lambda: _count(got, 4), what="four status callbacks")
    assert [c["form"]["MessageStatus"] for c in got] == ["queued", "sent", "delivered", "read"]
    assert all(c["valid"] for c in got)
    assert {c["form"]["MessageSid"] for c in got} == {sent.sid}
    assert got[0]["form"]["To"] == CUSTOMER
    assert got[0]["form"]["From"] == get_settings().twilio_whatsapp_from


async def _count(got: list[dict[str, Any]], n: int) -> bool:
    return len(got) >= n


async def test_the_list_shows_what_was_sent_newest_first(whatsapp: WhatsApp) -> None:
    whatsapp.twilio.customer_wrote(CUSTOMER)
    first = await twilio_api.send(CUSTOMER, "first", "http://127.0.0.1:9/none")
    second = await twilio_api.send(CUSTOMER, "second", "http://127.0.0.1:9/none")

    listed = await twilio_api.recent(CUSTOMER)
    assert [(m.sid, m.body) for m in listed] == [(second.sid, "second"), (first.sid, "first")]
    assert all(m.created is not None and m.created.year >= 2024 for m in listed)
    assert await twilio_api.recent("whatsapp:+14155550199") == []


@pytest.mark.parametrize(
    ("to", "body", "code", "status"),
    [
        ("whatsapp:+1415", "Hi", 21211, 400),
        ("+14155550100", "Hi", 21211, 400),
        (CUSTOMER, "", 21602, 400),
        (CUSTOMER, "x" * 1601, 21617, 400),
    ],
)
async def test_twilio_refuses_what_twilio_refuses_with_its_code(
    whatsapp: WhatsApp, to: str, body: str, code: int, status: int
) -> None:
    whatsapp.twilio.customer_wrote(CUSTOMER)
    with pytest.raises(TwilioRefused) as refused:
        await twilio_api.send(to, body, "http://127.0.0.1:9/none")
    assert (refused.value.code, refused.value.status) == (code, status)
    assert not refused.value.retryable
    assert whatsapp.twilio.sent() == []


async def test_a_free_form_message_outside_the_24_hour_window_is_63016_but_a_template_goes(
    whatsapp: WhatsApp,
) -> None:
    whatsapp.twilio.customer_wrote(CUSTOMER, at=time.time() - 25 * 3600)
    with pytest.raises(TwilioRefused) as refused:
        await twilio_api.send(CUSTOMER, "Hello", "http://127.0.0.1:9/none")
    assert refused.value.code == twilio_api.OUTSIDE_WINDOW

    sent = await twilio_api.send(
        CUSTOMER, "", "http://127.0.0.1:9/none", content_sid="HX" + "a" * 32
    )
    assert [m.sid for m in whatsapp.twilio.sent()] == [sent.sid]


async def test_too_many_requests_is_a_retryable_429(whatsapp: WhatsApp) -> None:
    whatsapp.twilio.customer_wrote(CUSTOMER)
    whatsapp.twilio.fail_next(twilio_api.TOO_MANY_REQUESTS)
    with pytest.raises(TwilioRefused) as refused:
        await twilio_api.send(CUSTOMER, "Hi", "http://127.0.0.1:9/none")
    assert (refused.value.status, refused.value.code, refused.value.retryable) == (429, 20429, True)
    assert (await twilio_api.send(CUSTOMER, "Hi", "http://127.0.0.1:9/none")).status == "queued"


async def test_wrong_credentials_are_twilios_401_20003(
    whatsapp: WhatsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "not-the-token")
    get_settings.cache_clear()
    twilio_api.get_client.cache_clear()
    whatsapp.twilio.customer_wrote(CUSTOMER)
    with pytest.raises(TwilioRefused) as refused:
        await twilio_api.send(CUSTOMER, "Hi", "http://127.0.0.1:9/none")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert whatsapp.twilio.sent() == []


async def test_the_client_logs_no_number_and_no_text(
    whatsapp: WhatsApp, caplog: pytest.LogCaptureFixture
) -> None:
    whatsapp.twilio.customer_wrote(CUSTOMER)
    with caplog.at_level("INFO"):
        await twilio_api.send(CUSTOMER, "A private answer", "http://127.0.0.1:9/none")
        await twilio_api.recent(CUSTOMER)
    assert "14155550100" not in caplog.text
    assert "A private answer" not in caplog.text
