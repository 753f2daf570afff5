"""intake-whatsapp's API, as Twilio calls it: signed form posts, answered with empty TwiML."""

from __future__ import annotations

import json

import asyncpg
import httpx
import pytest

from events import catalog
from shared.config import get_settings
from shared.devstack.gateway import create_app
from shared.devstack.manifests import load
from shared.devstack.standins.launch import WEBHOOK_PATH
from shared.devstack.standins.twilio import incoming_params, sign
from shared.http_api import MAX_BODY_BYTES
from tests.kafka_reading import end_offsets, read_events
from tests.whatsapp_fixtures import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CUSTOMER,
    SENDER,
    WhatsApp,
    post_signed,
    serve,
)


async def _recorded(db: asyncpg.Connection) -> tuple[int, int, int]:
    """(tickets, messages, outbox rows): what a refused request must leave at zero."""
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM messages),
                  (SELECT count(*) FROM outbox)"""
    )
    return row[0], row[1], row[2]


async def test_a_signed_message_is_recorded_and_answered_with_empty_twiml(
    whatsapp: WhatsApp, db: asyncpg.Connection, kafka: str
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    response, params = await whatsapp.customer_writes("How do I reset my password?")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Response" in response.text
    ticket = await db.fetchrow("SELECT ticket_number, channel, customer_id FROM tickets")
    assert (ticket["ticket_number"], ticket["channel"]) == ("TKT-0001", "whatsapp")
    message = await db.fetchrow("SELECT channel, content, channel_message_id FROM messages")
    assert tuple(message) == ("whatsapp", "How do I reset my password?", params["MessageSid"])
    phone = await db.fetchval(
        "SELECT value FROM customer_identifiers WHERE kind = 'phone' AND customer_id = $1",
        ticket["customer_id"],
    )
    assert phone == "+14155550100"
    [(_, event)] = await read_events(kafka, catalog.TOPIC_INCOMING, since)
    assert event["channel"] == "whatsapp"


async def test_a_retried_webhook_records_nothing_twice_and_still_answers_200(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "How do I reset my password?")
    first = await post_signed(whatsapp.webhook_url, params)
    again = await post_signed(whatsapp.webhook_url, params)

    assert (first.status_code, again.status_code) == (200, 200)
    assert await _recorded(db) == (1, 1, 1)


@pytest.mark.parametrize(
    "tamper",
    [
        "no signature",
        "another account's token",
        "a parameter changed after signing",
        "a parameter added after signing",
    ],
)
async def test_a_request_twilio_did_not_sign_is_403_and_nothing_is_recorded(
    whatsapp: WhatsApp, db: asyncpg.Connection, tamper: str
) -> None:
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "Hello")
    token = "someone-elses-token" if tamper == "another account's token" else AUTH_TOKEN
    headers = {"x-twilio-signature": sign(token, whatsapp.webhook_url, params)}
    if tamper == "no signature":
        headers = {}
    elif tamper == "a parameter changed after signing":
        params = params | {"Body": "Send me everyone's data"}
    elif tamper == "a parameter added after signing":
        params = params | {"MediaUrl0": "https://evil.example/x.png"}
    async with httpx.AsyncClient() as client:
        response = await client.post(whatsapp.webhook_url, data=params, headers=headers)

    assert response.status_code == 403
    assert "X-Twilio-Signature" in response.json()["detail"]
    assert await _recorded(db) == (0, 0, 0)


async def test_the_signature_covers_the_public_url_not_the_address_the_function_sees(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = "https://support.example.com"
    monkeypatch.setenv("PUBLIC_BASE_URL", public)
    get_settings.cache_clear()
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "Hello")

    as_seen_inside = await post_signed(whatsapp.webhook_url, params)
    assert as_seen_inside.status_code == 403
    as_twilio_sees_it = await post_signed(
        whatsapp.webhook_url, params, signed_url=public + WEBHOOK_PATH
    )
    assert as_twilio_sees_it.status_code == 200
    assert await _recorded(db) == (1, 1, 1)


async def test_behind_the_gateway_a_webhook_signed_for_the_gateways_url_is_accepted(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = create_app(load().routes, {"intake-whatsapp": whatsapp.public_url})
    async with serve(gateway) as gateway_url:
        monkeypatch.setenv("PUBLIC_BASE_URL", gateway_url)
        get_settings.cache_clear()
        params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "Hello from behind")
        response = await post_signed(gateway_url + WEBHOOK_PATH + "?rc=2", params)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert await _recorded(db) == (1, 1, 1)


async def test_an_oversized_body_is_413_and_nothing_is_recorded(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "x" * (MAX_BODY_BYTES + 1))
    response = await post_signed(whatsapp.webhook_url, params)
    assert response.status_code == 413
    assert await _recorded(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"From": "+14155550100"}, "From"),
        ({"From": "whatsapp:+1"}, "From"),
        ({"MessageSid": "nope"}, "MessageSid"),
        ({"Body": "   "}, "Body"),
        ({"NumMedia": "2"}, "MediaUrl0"),
        ({"NumMedia": "lots"}, "NumMedia"),
    ],
)
async def test_a_signed_but_malformed_message_is_422_naming_the_field(
    whatsapp: WhatsApp, db: asyncpg.Connection, change: dict[str, str], field: str
) -> None:
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "Hello") | change
    response = await post_signed(whatsapp.webhook_url, params)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await _recorded(db) == (0, 0, 0)


async def test_only_a_form_post_is_accepted(whatsapp: WhatsApp) -> None:
    async with httpx.AsyncClient() as client:
        got = await client.get(whatsapp.webhook_url)
        as_json = await client.post(whatsapp.webhook_url, json={"Body": "hi"})
    assert (got.status_code, got.headers["allow"]) == (405, "POST")
    assert as_json.status_code == 415


async def test_media_is_kept_as_metadata_and_travels_with_the_event(
    whatsapp: WhatsApp, db: asyncpg.Connection, kafka: str
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    media = [{"content_type": "image/jpeg", "url": "https://api.twilio.com/Media/ME1"}]
    params = incoming_params(ACCOUNT_SID, CUSTOMER, SENDER, "", media=media)
    response = await post_signed(whatsapp.webhook_url, params)

    assert response.status_code == 200
    row = await db.fetchrow("SELECT content, attachments FROM messages")
    assert row["content"] == "(sent an attachment with no text)"
    assert '"image/jpeg"' in row["attachments"]
    [(_, event)] = await read_events(kafka, catalog.TOPIC_INCOMING, since)
    assert json.loads(event.get_data())["attachments"] == media


async def test_stop_opts_the_number_out_and_start_back_in_without_opening_a_ticket(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    stop, _ = await whatsapp.customer_writes("Stop")
    assert stop.status_code == 200
    assert await db.fetchval("SELECT opted_out_at IS NOT NULL FROM whatsapp_contacts") is True
    start, _ = await whatsapp.customer_writes(" START ")
    assert start.status_code == 200
    assert await db.fetchval("SELECT opted_out_at IS NULL FROM whatsapp_contacts") is True
    assert await _recorded(db) == (0, 0, 0)
