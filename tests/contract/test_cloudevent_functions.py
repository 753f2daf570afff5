"""agent-runner, send-web and dead-letter over the wire, in both CloudEvents HTTP encodings."""

from datetime import UTC, datetime

import asyncpg
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import new_event
from events.models import Customer, MessageReceived
from shared.agent.runner import handle_message
from tests.functions_under_test import function_client
from tests.kafka_reading import end_offsets, read_events

pytestmark = pytest.mark.knowledge_base

ENCODINGS = {"binary": to_binary, "structured": to_structured}


def _message_event() -> CloudEvent:
    data = MessageReceived(
        channel="web_form",
        customer=Customer(name="Ada", email="ada@example.com"),
        content="How do I reset my password?",
        subject="Reset",
        received_at=datetime.now(UTC),
    )
    return new_event(data, source="/test", partitionkey="ada@example.com", channel="web_form")


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_agent_runner_answers_2xx_once_the_ticket_and_reply_are_committed(
    app_env: str,
    db: asyncpg.Connection,
    encoding: str,
) -> None:
    headers, body = ENCODINGS[encoding](_message_event())
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 200
    assert await db.fetchval("SELECT status FROM tickets") == "answered"


async def test_agent_runner_refuses_an_event_type_it_does_not_handle_with_400(app_env: str) -> None:
    event = CloudEvent.create({"type": "com.example.other", "source": "/x"}, {"a": 1})
    headers, body = to_binary(event)
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 400


async def test_a_body_that_is_not_a_cloudevent_gets_400(app_env: str) -> None:
    async with function_client("agent-runner") as client:
        response = await client.post("/", json={"hello": "world"})
    assert response.status_code == 400


async def test_agent_runner_answers_5xx_when_the_database_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config import get_settings
    from shared.db import close_pool

    await close_pool()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    headers, body = to_binary(_message_event())
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 500


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_send_web_marks_the_reply_delivered(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
    encoding: str,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_OUTGOING)
    message = _message_event()
    await handle_message(message)
    [(_, reply)] = await read_events(
        kafka, catalog.TOPIC_OUTGOING, since, where=lambda e: message["id"] in str(e.get_data())
    )
    headers, body = ENCODINGS[encoding](reply)
    async with function_client("send-web") as client:
        first = await client.post("/", headers=headers, content=body)
        again = await client.post("/", headers=headers, content=body)
    assert first.status_code == again.status_code == 200
    assert (
        await db.fetchval("SELECT delivery_status FROM messages WHERE role = 'agent'")
        == "delivered"
    )


async def test_dead_letter_keeps_the_message_on_an_escalated_ticket_and_apologises(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    event = _message_event()
    attributes = {k: v for k, v in event.get_attributes().items()}
    attributes |= {"knativeerrorcode": "500", "knativeerrordest": "http://agent-runner"}
    dead = CloudEvent.create(attributes, event.get_data())
    headers, body = to_binary(dead)
    async with function_client("dead-letter") as client:
        first = await client.post("/", headers=headers, content=body)
        again = await client.post("/", headers=headers, content=body)
    assert first.status_code == again.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM dead_letters") == 1
    row = await db.fetchrow("SELECT error_code, apology_sent FROM dead_letters")
    assert (row["error_code"], row["apology_sent"]) == (500, True)
    ticket = await db.fetchrow("SELECT status, escalation_reason FROM tickets")
    assert (ticket["status"], ticket["escalation_reason"]) == ("escalated", "agent_error")
    thread = [r["role"] for r in await db.fetch("SELECT role FROM messages ORDER BY created_at")]
    assert thread == ["customer", "agent"]
