"""Asking for and taking ratings end to end on the real database, broker and functions: a person
resolves a ticket through staff-api, the question goes out through the channel's real sender to
the stand-in, and the customer's answer (the email's link, a WhatsApp digit) is stored."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest
from cloudevents.http import CloudEvent

from shared.apology import handle_dead_letter
from shared.channels.email import deliver_email_reply
from shared.channels.gmail_api import gmail
from shared.channels.gmail_push import Notification
from shared.channels.whatsapp import deliver_whatsapp_reply
from shared.config import get_settings
from shared.db import get_pool, outbox
from shared.intake.email import sync_mailbox
from shared.staff.sessions import add_account
from tests.functions_under_test import function_client
from tests.google import SUPPORT, Google, customer_mail
from tests.whatsapp_fixtures import CUSTOMER, WhatsApp

PASSWORD = "correct horse battery staple"
PROMPT = "Reply with a number 1 to 5"


async def _staff_api(method: str, path: str) -> httpx.Response:
    """A person signs in to staff-api and makes this request (with the session's CSRF token)."""
    if await (await get_pool()).fetchval("SELECT count(*) FROM staff") == 0:
        await add_account("ana@northwind.example", "Ana", "agent", PASSWORD)
    async with function_client("staff-api") as api:
        api.base_url = httpx.URL("https://function")  # its cookie is Secure under an https base
        signed_in = await api.post(
            "/api/v1/staff/session", json={"email": "ana@northwind.example", "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = {"x-csrf-token": signed_in.json()["csrf_token"]}
        return await api.request(method, f"/api/v1/staff{path}", headers=csrf)


async def _resolve(number: str) -> httpx.Response:
    return await _staff_api("POST", f"/tickets/{number}/resolve")


async def _rating_request(db: asyncpg.Connection) -> CloudEvent:
    """The one question asked: its ``reply.ready`` as the outbox keeps it."""
    [event_id] = [r["event_id"] for r in await db.fetch("SELECT event_id FROM rating_requests")]
    event = await outbox.event(await get_pool(), event_id)
    assert event is not None
    return event


async def _thanks(db: asyncpg.Connection) -> CloudEvent:
    event_id = await db.fetchval("SELECT event_id FROM outbox WHERE data->>'rating' = 'thanks'")
    event = await outbox.event(await get_pool(), event_id)
    assert event is not None
    return event


async def _stored(db: asyncpg.Connection) -> list[tuple[str, int]]:
    rows = await db.fetch("SELECT channel, score FROM ticket_ratings ORDER BY rated_at")
    return [(r["channel"], r["score"]) for r in rows]


async def _email_ticket(google: Google, db: asyncpg.Connection) -> tuple[str, Any]:
    mail = customer_mail("How do I reset my password?")
    google.deliver(mail)
    await sync_mailbox(Notification(SUPPORT, google.mailbox.history_id), gmail(), get_settings())
    return await db.fetchval("SELECT ticket_number FROM tickets"), mail


async def test_an_email_customer_is_asked_once_in_their_thread_and_the_link_rates_by_email(
    google: Google, db: asyncpg.Connection
) -> None:
    number, mail = await _email_ticket(google, db)

    assert (await _resolve(number)).status_code == 200
    assert (await _resolve(number)).status_code == 200  # resolving twice asks once
    request = await _rating_request(db)
    assert await deliver_email_reply(request) is True
    assert await deliver_email_reply(request) is False  # redelivered: not sent again

    [sent] = google.sent()
    assert sent["in_reply_to"] == mail["Message-ID"] and sent["subject"] == "Re: Reset password"
    assert "How did we do?" in sent["text"]
    links = re.findall(r"https://support\.northwind\.example/\?\S+", sent["text"])
    assert len(links) == 1, sent["text"]
    link = urlsplit(links[0])
    assert parse_qs(link.query) == {"ticket": [number], "rate": ["email"]}
    token = parse_qs(link.fragment)["token"][0]
    async with function_client("ticket-status") as page:
        rated = await page.post(
            f"/api/v1/tickets/{number}/rating",
            json={"score": 5, "channel": "email"},
            headers={"authorization": f"Bearer {token}"},
        )
    assert rated.status_code == 200, rated.text
    assert await _stored(db) == [("email", 5)]
    seen_by_staff = (await _staff_api("GET", f"/tickets/{number}")).json()["ratings"]
    assert [(r["channel"], r["score"]) for r in seen_by_staff] == [("email", 5)]


async def test_with_no_status_link_to_rate_at_an_email_request_is_not_sent(
    google: Google, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    number, _ = await _email_ticket(google, db)
    monkeypatch.delenv("STATUS_LINK_KEY")
    get_settings.cache_clear()

    await _resolve(number)

    assert await deliver_email_reply(await _rating_request(db)) is True
    assert google.sent() == []
    status = await db.fetchval("SELECT delivery_status FROM messages WHERE role = 'system'")
    assert status == "failed"


async def _whatsapp_ticket(whatsapp: WhatsApp, db: asyncpg.Connection) -> str:
    response, _ = await whatsapp.customer_writes("How do I reset my password?")
    assert response.status_code == 200
    number: str = await db.fetchval("SELECT ticket_number FROM tickets")
    return number


def _prompts(whatsapp: WhatsApp) -> list[str]:
    return [m.body for m in whatsapp.twilio.sent() if m.to == CUSTOMER and PROMPT in m.body]


async def test_a_whatsapp_customer_is_asked_once_and_a_digit_reply_is_their_rating(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)

    await _resolve(number)
    await _resolve(number)
    request = await _rating_request(db)
    assert await deliver_whatsapp_reply(request) is True
    assert await deliver_whatsapp_reply(request) is False
    assert len(_prompts(whatsapp)) == 1 and number in _prompts(whatsapp)[0]

    response, _ = await whatsapp.customer_writes(" 4 ")

    assert response.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1  # no new ticket
    assert await _stored(db) == [("whatsapp", 4)]
    assert await db.fetchval("SELECT status FROM tickets") == "resolved"
    assert await deliver_whatsapp_reply(await _thanks(db)) is True
    thanks = [m.body for m in whatsapp.twilio.sent() if "Thank you for rating" in m.body]
    assert thanks == [f"Thank you for rating {number}: 4 out of 5."]


async def test_resolving_again_after_a_reopen_asks_no_second_time(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)

    await _resolve(number)
    assert (await _staff_api("POST", f"/tickets/{number}/reopen")).status_code == 200
    await _resolve(number)

    assert await db.fetchval("SELECT count(*) FROM rating_requests") == 1
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE data->>'rating' = 'request'") == 1


async def test_a_digit_after_the_rating_was_given_is_an_ordinary_message(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)
    await _resolve(number)
    await whatsapp.customer_writes("5")

    await whatsapp.customer_writes("2")

    assert await db.fetchval("SELECT count(*) FROM tickets") == 2
    assert await _stored(db) == [("whatsapp", 5)]


async def test_a_digit_nobody_asked_for_opens_a_ticket_as_before(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    response, _ = await whatsapp.customer_writes("3")

    assert response.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1
    assert await _stored(db) == []


async def test_a_reply_that_is_more_than_a_digit_is_an_ordinary_message(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)
    await _resolve(number)

    await whatsapp.customer_writes("5 but I have another question")

    assert await db.fetchval("SELECT count(*) FROM tickets") == 2
    assert await _stored(db) == []


async def test_outside_whatsapps_window_the_request_is_not_sent_and_the_ticket_stays_resolved(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)
    await db.execute(
        "UPDATE whatsapp_contacts SET last_inbound_at = $1",
        datetime.now(UTC) - timedelta(days=2),
    )

    await _resolve(number)
    assert await deliver_whatsapp_reply(await _rating_request(db)) is True

    assert _prompts(whatsapp) == []
    assert await db.fetchval("SELECT status FROM tickets") == "resolved"


async def test_a_dead_lettered_rating_request_gets_no_apology_and_leaves_the_ticket_resolved(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    number = await _whatsapp_ticket(whatsapp, db)
    await _resolve(number)

    await handle_dead_letter(await _rating_request(db))

    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 1
    assert await db.fetchval("SELECT status FROM tickets") == "resolved"
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE data->>'apology' = 'true'") == 0
