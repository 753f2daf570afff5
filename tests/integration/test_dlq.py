"""Replaying a dead letter after a fix: the same event id, and this time it is handled."""

import asyncio
import os
import subprocess
import sys

import asyncpg
import pytest

from events import catalog
from shared.agent.runner import handle_message
from shared.apology import handle_dead_letter
from shared.dlq import CannotReplay, recent, replay
from tests.accepted import accepted_event
from tests.kafka_reading import end_offsets, read_events

pytestmark = pytest.mark.knowledge_base


async def test_a_replayed_message_is_republished_with_its_id_and_then_answered(
    app_env: str, kafka: str, db: asyncpg.Connection
) -> None:
    event = await accepted_event()
    dead = event.__class__.create(
        dict(event.get_attributes()) | {"knativeerrorcode": "503"}, event.get_data()
    )
    await handle_dead_letter(dead)
    [listed] = await recent()
    assert (listed.event_id, listed.error_code, listed.apology_sent) == (event["id"], 503, True)

    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    _, published = await replay(listed.id)
    assert published
    [(_, again)] = await read_events(
        kafka, catalog.TOPIC_INCOMING, since, where=lambda e: e["id"] == event["id"]
    )
    assert "knativeerrorcode" not in again.get_attributes()
    outcome = await handle_message(again)
    assert not outcome.duplicate  # the apology's claim was released: the agent answers now
    [row] = await db.fetch("SELECT replay_count, replayed_at FROM dead_letters")
    assert row["replay_count"] == 1 and row["replayed_at"] is not None
    kinds = await db.fetch(
        "SELECT content FROM messages WHERE direction = 'outbound' ORDER BY created_at"
    )
    assert len(kinds) == 2 and "sorry" in kinds[0]["content"].lower()


async def test_replaying_what_does_not_exist_says_so(app_env: str) -> None:
    with pytest.raises(CannotReplay, match="no dead letter 42"):
        await replay(42)


async def test_fte_dlq_lists_and_replays_without_showing_message_content(
    app_env: str, kafka: str
) -> None:
    event = await accepted_event("My secret question about invoices")
    await handle_dead_letter(event)
    [dead] = await recent()
    env = {**os.environ, "DATABASE_URL": app_env, "KAFKA_BOOTSTRAP_SERVERS": kafka}

    def fte(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "shared.cli", "dlq", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    listed = await asyncio.to_thread(fte, "list")
    assert listed.returncode == 0
    assert "message.received" in listed.stdout and str(dead.ticket_number) in listed.stdout
    assert "secret" not in listed.stdout and "ada@example.com" not in listed.stdout

    replayed = await asyncio.to_thread(fte, "replay", str(dead.id), "999")
    assert replayed.returncode == 1
    assert f"replayed {dead.id}: event {event['id']} published" in replayed.stdout
    assert "no dead letter 999" in replayed.stderr
