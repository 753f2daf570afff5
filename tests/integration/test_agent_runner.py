import asyncio
import json

import asyncpg
import pytest

from events import catalog
from events.envelope import derived_id, read_event
from events.models import ReplyReady
from shared.agent import runner
from shared.agent.runner import handle_message
from shared.config import get_settings
from shared.db.processed_events import ANSWER
from tests.accepted import accept, accepted_event
from tests.kafka_reading import end_offsets, read_events

pytestmark = pytest.mark.knowledge_base


async def test_a_message_becomes_an_answered_ticket_and_a_reply_event_after_the_commit(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_OUTGOING)
    accepted = await accept()
    event = accepted.outgoing.event
    outcome = await handle_message(event)

    assert outcome.ticket_number == accepted.ticket.ticket_number
    assert outcome.tools_called[0] == "create_ticket"
    assert await db.fetchval("SELECT status FROM tickets") == "answered"
    thread = await db.fetch(
        "SELECT id, role, direction, delivery_status, in_reply_to FROM messages ORDER BY created_at"
    )
    assert [(m["role"], m["direction"], m["delivery_status"]) for m in thread] == [
        ("customer", "inbound", "received"),
        ("agent", "outbound", "pending"),
    ]
    assert thread[1]["in_reply_to"] == thread[0]["id"] == accepted.message_id

    [(key, reply_event)] = await read_events(
        kafka, catalog.TOPIC_OUTGOING, since, where=lambda e: e["type"] == catalog.REPLY_READY
    )
    reply = read_event(reply_event, ReplyReady)
    assert key == str(accepted.ticket.customer_id).encode()
    assert reply_event["id"] == derived_id(event["id"], "reply")
    assert reply.in_reply_to == event["id"]
    assert reply.message_id == thread[1]["id"]
    published = await db.fetch(
        "SELECT event_id, published_at, awaits FROM outbox WHERE topic = $1",
        catalog.TOPIC_OUTGOING,
    )
    assert [(r["event_id"], r["awaits"]) for r in published] == [(reply_event["id"], "send-web")]
    assert published[0]["published_at"] is not None
    claim = await db.fetchrow("SELECT claimed_by FROM processed_events WHERE consumer = $1", ANSWER)
    assert claim["claimed_by"] == "agent-runner"
    metrics = await db.fetchrow("SELECT model, tools_called FROM agent_metrics")
    assert metrics["model"] == "offline-deterministic-v1"
    assert metrics["tools_called"][0] == "create_ticket"


async def test_no_transaction_is_open_while_the_model_runs(
    app_env: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    real_run = runner.Runner.run

    async def observing_run(*args: object, **kwargs: object) -> object:
        seen.append(
            await db.fetchval(
                """SELECT count(*) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()
                     AND state LIKE 'idle in transaction%'"""
            )
        )
        return await real_run(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner.Runner, "run", observing_run)
    await handle_message(await accepted_event())
    assert seen == [0]


async def test_a_redelivered_event_changes_nothing(app_env: str, db: asyncpg.Connection) -> None:
    event = await accepted_event()
    first = await handle_message(event)
    again = await handle_message(event)
    assert not first.duplicate and again.duplicate
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1
    assert await db.fetchval("SELECT count(*) FROM messages") == 2
    assert await db.fetchval("SELECT count(*) FROM agent_metrics") == 1


async def test_two_concurrent_deliveries_answer_once(app_env: str, db: asyncpg.Connection) -> None:
    event = await accepted_event()
    outcomes = await asyncio.gather(handle_message(event), handle_message(event))
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert await db.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 1


async def test_a_model_that_does_not_answer_in_time_hands_over_with_an_apology(
    app_env: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def stuck(*args: object, **kwargs: object) -> None:
        await asyncio.sleep(60)

    monkeypatch.setenv("MODEL_TIMEOUT_SECONDS", "0.2")
    get_settings.cache_clear()
    monkeypatch.setattr(runner.Runner, "run", stuck)
    outcome = await handle_message(await accepted_event())
    assert outcome.escalation_reason == "agent_error"
    ticket = await db.fetchrow("SELECT status, escalation_reason FROM tickets")
    assert (ticket["status"], ticket["escalation_reason"]) == ("escalated", "agent_error")
    reply = await db.fetchval("SELECT content FROM messages WHERE direction = 'outbound'")
    assert "sorry" in reply.lower()


async def test_the_same_customer_on_another_channel_resumes_the_conversation(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    await handle_message(await accepted_event())
    whatsapp = await accepted_event(
        "Any update?", channel="whatsapp", name=None, email=None, subject=None
    )
    await handle_message(whatsapp)
    assert await db.fetchval("SELECT count(*) FROM customers") == 1
    assert await db.fetchval("SELECT count(DISTINCT conversation_id) FROM tickets") == 1
    assert await db.fetchval("SELECT count(*) FROM tickets") == 2
    assert whatsapp["partitionkey"] == str(await db.fetchval("SELECT id FROM customers"))


async def test_frustration_and_its_signals_are_kept_with_the_turn(
    app_env: str, db: asyncpg.Connection
) -> None:
    angry = (
        "The import has been stuck for two days and it costs us money every hour. "
        "I expect it working by tomorrow or we are disputing the invoice."
    )
    outcome = await handle_message(await accepted_event(angry, subject="Import"))
    calm = await handle_message(
        await accepted_event("The import failed with an error, how do I retry it?", subject=None)
    )

    assert outcome.escalation_reason == "negative_sentiment"
    assert calm.escalation_reason is None
    rows = await db.fetch(
        "SELECT escalation_reason, frustration, frustration_signals FROM agent_metrics ORDER BY id"
    )
    signals = json.loads(rows[0]["frustration_signals"])  # this connection has no jsonb codec
    assert {"money_lost", "demand", "deadline", "dispute"} <= set(signals)
    assert rows[0]["frustration"] == min(1.0, round(sum(signals.values()), 3))
    assert (rows[1]["escalation_reason"], rows[1]["frustration"]) == (None, 0.0)
    assert json.loads(rows[1]["frustration_signals"]) == {}


async def test_a_question_about_a_thing_the_docs_do_not_name_is_handed_over_as_kb_miss(
    app_env: str, db: asyncpg.Connection
) -> None:
    # The desktop app's section is close in topic, but names no Chromebook.
    missing = await handle_message(
        await accepted_event("Will the desktop app run on a Chromebook?", subject=None)
    )
    named = await handle_message(
        await accepted_event("Will the desktop app run on Windows 11?", subject=None)
    )

    assert missing.escalation_reason == "kb_miss"
    assert missing.kb_hits > 0
    assert named.escalation_reason is None
    assert named.top_passage is not None and named.top_passage.endswith(
        "Installing the desktop app"
    )
    rows = await db.fetch(
        "SELECT escalation_reason, asked_about, unmentioned FROM agent_metrics ORDER BY id"
    )
    assert [tuple(r) for r in rows] == [
        ("kb_miss", ["Chromebook"], ["Chromebook"]),
        (None, ["Windows", "11"], []),
    ]
