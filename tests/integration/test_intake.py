import asyncio
import json
import socket

import asyncpg
import pytest

from events import catalog
from events.envelope import read_event
from events.models import MessageReceived
from shared import relay
from shared.access import hash_token
from shared.config import get_settings
from shared.http_api import BadRequest
from shared.intake.submit import submit_form
from shared.intake.web_form import SupportForm
from shared.publisher import close_producer
from shared.relay import drain, sweep
from shared.ticket_status import ticket_view
from tests.kafka_reading import end_offsets, read_events

FORM = SupportForm.model_validate(
    {
        "name": "Ada",
        "email": "Ada@Example.com",
        "phone": "+1 415 555 2671",
        "subject": "Reset password",
        "message": "How do I reset my password?",
    }
)


async def test_a_submission_commits_ticket_message_and_event_then_publishes_it(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    receipt = await submit_form(FORM)

    assert receipt.ticket_number == "TKT-0001"
    assert receipt.status_url.endswith(f"/api/v1/tickets/TKT-0001?token={receipt.access_token}")
    row = await db.fetchrow("SELECT status, access_token_hash, customer_id FROM tickets")
    assert row["status"] == "received"
    assert row["access_token_hash"] == hash_token(receipt.access_token)
    view = await ticket_view("TKT-0001", receipt.access_token)
    assert view is not None
    assert [(m["role"], m["content"]) for m in view["messages"]] == [
        ("customer", "How do I reset my password?")
    ]
    assert view["messages"][0]["id"] == receipt.message_id

    [(key, event)] = await read_events(
        kafka,
        catalog.TOPIC_INCOMING,
        since,
        where=lambda e: json.loads(e.get_data())["ticket_number"] == "TKT-0001",
    )
    message = read_event(event, MessageReceived)
    assert key == str(row["customer_id"]).encode()
    assert event["channel"] == "web_form"
    assert str(message.message_id) == receipt.message_id
    assert message.customer.email == "ada@example.com"
    assert message.customer.phone == "+14155552671"
    await drain()
    outbox = await db.fetchrow("SELECT event_id, published_at, awaits FROM outbox")
    assert (outbox["event_id"], outbox["awaits"]) == (event["id"], "answer")
    assert outbox["published_at"] is not None


async def test_the_receipt_does_not_wait_for_the_broker(
    app_env: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer goes out at the commit; the publish goes on after it (the outbox holds it)."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers: a hung broker
    await close_producer()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setenv("PUBLISH_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    try:
        receipt = await submit_form(FORM)
        assert await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
        assert relay.publishing_now() == 1  # still waiting on the broker, the receipt given
        assert await ticket_view(receipt.ticket_number, receipt.access_token) is not None
        await drain()  # the publish gives up; the relay's sweep publishes it later
        assert await db.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    finally:
        silent.close()


async def test_with_the_broker_down_the_message_is_accepted_and_published_once_it_is_back(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    await close_producer()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("PUBLISH_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    receipt = await submit_form(FORM)
    await drain()  # the publish gave up
    assert await db.fetchval("SELECT published_at FROM outbox") is None
    assert await ticket_view(receipt.ticket_number, receipt.access_token) is not None

    await close_producer()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka)
    monkeypatch.setenv("RELAY_GRACE_SECONDS", "0")
    get_settings.cache_clear()
    report = await sweep()
    assert report.published == 1
    event_id = await db.fetchval("SELECT event_id FROM outbox WHERE published_at IS NOT NULL")
    [(_, event)] = await read_events(
        kafka, catalog.TOPIC_INCOMING, since, where=lambda e: e["id"] == event_id
    )
    assert read_event(event, MessageReceived).ticket_number == receipt.ticket_number


async def test_the_same_idempotency_key_and_body_get_the_same_receipt_and_one_ticket(
    app_env: str, db: asyncpg.Connection
) -> None:
    first = await submit_form(FORM, idempotency_key="retry-1")
    again = await submit_form(FORM, idempotency_key="retry-1")
    other = await submit_form(FORM, idempotency_key="retry-2")
    assert again == first
    assert other.ticket_number != first.ticket_number
    assert await db.fetchval("SELECT count(*) FROM tickets") == 2
    assert await db.fetchval("SELECT count(*) FROM outbox") == 2


async def test_concurrent_retries_with_one_key_open_one_ticket(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipts = await asyncio.gather(*(submit_form(FORM, "burst") for _ in range(5)))
    assert len({r.ticket_number for r in receipts}) == 1
    assert await db.fetchval("SELECT count(*) FROM messages") == 1


async def test_the_same_key_with_a_different_body_is_422_and_changes_nothing(
    app_env: str, db: asyncpg.Connection
) -> None:
    await submit_form(FORM, idempotency_key="k")
    changed = FORM.model_copy(update={"message": "Something else entirely, please."})
    with pytest.raises(BadRequest) as refused:
        await submit_form(changed, idempotency_key="k")
    assert refused.value.status == 422
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1


async def test_an_address_with_accents_is_accepted(app_env: str, db: asyncpg.Connection) -> None:
    form = SupportForm.model_validate(FORM.model_dump() | {"email": "José@Bücher.example"})
    receipt = await submit_form(form)
    assert receipt.ticket_number.startswith("TKT-")
    assert await db.fetchval("SELECT value FROM customer_identifiers WHERE kind = 'email'") == (
        "josé@bücher.example"
    )
