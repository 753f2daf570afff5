from datetime import UTC, datetime

import asyncpg
import pytest

from events import catalog
from events.envelope import new_event, read_event
from events.models import Customer, MessageReceived, ReplyReady
from shared.agent.runner import handle_message
from tests.kafka_reading import end_offsets, read_events

pytestmark = pytest.mark.knowledge_base


def _message(email: str = "ada@example.com", ticket_number: str | None = None) -> MessageReceived:
    return MessageReceived(
        channel="web_form",
        customer=Customer(name="Ada", email=email, phone="+14155552671"),
        content="How do I reset my password?",
        subject="Reset password",
        ticket_number=ticket_number,
        received_at=datetime.now(UTC),
    )


def _event(message: MessageReceived) -> object:
    return new_event(
        message, source="/test", partitionkey=message.customer.key, channel=message.channel
    )


async def test_a_message_becomes_a_ticket_a_thread_and_a_reply_event(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_OUTGOING)
    event = _event(_message())
    outcome = await handle_message(event)  # type: ignore[arg-type]

    assert outcome.ticket_number == "TKT-0001"
    assert outcome.tools_called[0] == "create_ticket"
    ticket = await db.fetchrow("SELECT status, customer_id, conversation_id FROM tickets")
    assert ticket["status"] == "answered"
    thread = await db.fetch(
        "SELECT role, direction, delivery_status FROM messages ORDER BY created_at"
    )
    assert [(m["role"], m["direction"], m["delivery_status"]) for m in thread] == [
        ("customer", "inbound", "received"),
        ("agent", "outbound", "pending"),
    ]

    [(key, reply_event)] = await read_events(
        kafka, catalog.TOPIC_OUTGOING, since, where=lambda e: e["channel"] == "web_form"
    )
    reply = read_event(reply_event, ReplyReady)
    assert key == b"ada@example.com"
    assert reply.ticket_number == "TKT-0001"
    assert reply.in_reply_to == event["id"]  # type: ignore[index]
    metrics = await db.fetchrow("SELECT model, tools_called, escalated FROM agent_metrics")
    assert metrics["model"] == "offline-deterministic-v1"
    assert metrics["tools_called"][0] == "create_ticket"


async def test_the_ticket_the_intake_numbered_is_the_one_opened(
    app_env: str, db: asyncpg.Connection
) -> None:
    reserved = await db.fetchval(
        "INSERT INTO tickets (channel) VALUES ('web_form') RETURNING ticket_number"
    )
    outcome = await handle_message(_event(_message(ticket_number=reserved)))  # type: ignore[arg-type]
    assert outcome.ticket_number == reserved
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1


async def test_a_redelivered_event_changes_nothing(app_env: str, db: asyncpg.Connection) -> None:
    event = _event(_message())
    first = await handle_message(event)  # type: ignore[arg-type]
    again = await handle_message(event)  # type: ignore[arg-type]
    assert not first.duplicate and again.duplicate
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1
    assert await db.fetchval("SELECT count(*) FROM messages") == 2
    assert await db.fetchval("SELECT count(*) FROM agent_metrics") == 1


async def test_the_same_customer_on_another_channel_resumes_the_conversation(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    await handle_message(_event(_message()))  # type: ignore[arg-type]
    whatsapp = MessageReceived(
        channel="whatsapp",
        customer=Customer(phone="+14155552671"),
        content="Any update?",
        received_at=datetime.now(UTC),
    )
    await handle_message(
        new_event(whatsapp, source="/t", partitionkey="+14155552671", channel="whatsapp")
    )
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    assert await db.fetchval("SELECT count(DISTINCT conversation_id) FROM tickets") == 1
    assert await db.fetchval("SELECT count(*) FROM tickets") == 2
