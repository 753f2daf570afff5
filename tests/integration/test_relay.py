"""The outbox relay against the real database and broker: nothing accepted waits forever."""

import asyncpg
import pytest

from events import catalog
from events.envelope import derived_id
from shared.agent.runner import handle_message
from shared.config import get_settings
from shared.relay import sweep
from tests.accepted import accepted_event
from tests.kafka_reading import end_offsets, read_events


@pytest.fixture
def overdue_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDELIVER_AFTER_SECONDS", "30")
    monkeypatch.setenv("RELAY_GRACE_SECONDS", "0")
    get_settings.cache_clear()


async def _age(db: asyncpg.Connection, seconds: float = 31) -> None:
    """As if the last publish was ``seconds`` ago (the deadline is 30)."""
    await db.execute(
        "UPDATE outbox SET published_at = now() - make_interval(secs => $1)", float(seconds)
    )


async def test_an_unanswered_message_is_republished_with_its_id_at_growing_intervals(
    app_env: str, kafka: str, db: asyncpg.Connection, overdue_at_once: None
) -> None:
    event = await accepted_event()  # committed, published nowhere yet
    incoming = await end_offsets(kafka, catalog.TOPIC_INCOMING)

    published = await sweep()
    await _age(db, 31)
    second = await sweep()  # 30 s after the first publish
    await _age(db, 31)
    early = await sweep()  # the next waits 60 s
    await _age(db, 61)
    third = await sweep()
    assert (published.published, second.redelivered, early.redelivered, third.redelivered) == (
        1,
        1,
        0,
        1,
    )
    copies = await read_events(
        kafka, catalog.TOPIC_INCOMING, incoming, count=3, where=lambda e: e["id"] == event["id"]
    )
    assert len(copies) == 3

    await handle_message(copies[-1][1])  # one copy is answered, the others are duplicates
    await _age(db, 3600)
    done = await sweep()
    assert (done.settled, done.redelivered) == (1, 1)  # the message settles; its reply goes out
    assert (
        await db.fetchval("SELECT publish_count FROM outbox WHERE event_id = $1", event["id"]) == 3
    )


async def test_an_answered_message_is_settled_and_never_republished(
    app_env: str, kafka: str, db: asyncpg.Connection, overdue_at_once: None
) -> None:
    event = await accepted_event()
    await handle_message(event)
    await _age(db)
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    report = await sweep()
    assert report.settled == 1  # the message; its reply still waits for send-web
    assert report.redelivered == 1  # so the reply goes out again, the message does not
    assert await read_events(kafka, catalog.TOPIC_INCOMING, since, timeout=1) == []
    awaiting = await db.fetch(
        "SELECT event_id FROM outbox WHERE settled_at IS NULL AND awaits IS NOT NULL"
    )
    assert [r["event_id"] for r in awaiting] == [derived_id(event["id"], "reply")]


async def test_published_rows_nothing_waits_for_are_pruned_after_the_retention(
    app_env: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    await handle_message(await accepted_event())
    monkeypatch.setenv("OUTBOX_RETENTION_SECONDS", "0")
    get_settings.cache_clear()
    await _age(db)
    await sweep()
    left = await db.fetch("SELECT awaits FROM outbox ORDER BY id")
    assert [r["awaits"] for r in left] == ["send-web"]  # only the undelivered reply is kept
