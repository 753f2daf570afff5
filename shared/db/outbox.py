"""The outbox: events written in the transaction of the effect they announce, published after it.

A row is *unpublished* until a publish was acknowledged, and *unsettled* while the claim it
``awaits`` (the consumer's ``processed_events`` row) does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudevents.http import CloudEvent

from events.envelope import TRACE_ATTRIBUTES, TRACEPARENT, TRACESTATE, json_data
from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class Pending:
    """An event as the outbox keeps it, ready to publish again with the same id."""

    topic: str
    event: CloudEvent
    publish_count: int = 0


def _event(row: Any) -> CloudEvent:
    """The event of a row: its attributes, its trace context (columns of their own), its data."""
    trace = {TRACEPARENT: row["traceparent"], TRACESTATE: row["tracestate"]}
    return CloudEvent.create(row["attributes"] | {k: v for k, v in trace.items() if v}, row["data"])


async def add(conn: Connection, topic: str, event: CloudEvent, awaits: str | None) -> None:
    """Keep ``event`` for ``topic``; a second add of the same id changes nothing."""
    attributes = {
        k: v for k, v in event.get_attributes().items() if k != "data" and k not in TRACE_ATTRIBUTES
    }
    await conn.execute(
        """INSERT INTO outbox (event_id, topic, attributes, data, awaits, traceparent, tracestate)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_id) DO NOTHING""",
        str(event["id"]),
        topic,
        attributes,
        json_data(event),
        awaits,
        event.get(TRACEPARENT),
        event.get(TRACESTATE),
    )


async def mark_published(conn: Queryable, event_ids: list[str]) -> None:
    await conn.execute(
        """UPDATE outbox SET published_at = now(), publish_count = publish_count + 1
           WHERE event_id = ANY($1::text[])""",
        event_ids,
    )


async def event(conn: Connection, event_id: str) -> CloudEvent | None:
    """The event the outbox kept under this id, if it still does."""
    row = await conn.fetchrow(
        "SELECT attributes, data, traceparent, tracestate FROM outbox WHERE event_id = $1",
        event_id,
    )
    return _event(row) if row else None


async def settle(conn: Connection) -> int:
    """Mark settled every row whose awaited claim now exists; returns how many."""
    status = await conn.execute(
        """UPDATE outbox o SET settled_at = now() FROM processed_events p
           WHERE o.awaits IS NOT NULL AND o.settled_at IS NULL
             AND p.consumer = o.awaits AND p.event_id = o.event_id"""
    )
    return int(status.split()[-1])


async def unpublished(conn: Connection, older_than_s: float, limit: int) -> list[Pending]:
    """Rows no publish was acknowledged for, locked for this transaction (others skip them)."""
    rows = await conn.fetch(
        """SELECT topic, attributes, data, traceparent, tracestate, publish_count FROM outbox
           WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1)
           ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED""",
        older_than_s,
        limit,
    )
    return [_pending(r) for r in rows]


async def overdue(conn: Connection, after_s: float, at_most_s: float, limit: int) -> list[Pending]:
    """Published rows still unsettled after their wait, locked: ``after_s`` since the first
    publish, twice that since the second, and so on, but never more than ``at_most_s``."""
    rows = await conn.fetch(
        """SELECT topic, attributes, data, traceparent, tracestate, publish_count FROM outbox
           WHERE awaits IS NOT NULL AND settled_at IS NULL
             AND published_at < now() - make_interval(
                   secs => least($2, $1 * power(2, greatest(publish_count - 1, 0))))
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED""",
        after_s,
        at_most_s,
        limit,
    )
    return [_pending(r) for r in rows]


def _pending(row: Any) -> Pending:
    return Pending(row["topic"], _event(row), row["publish_count"])


async def prune(conn: Connection, older_than_s: float) -> int:
    """Forget published rows that nothing waits for any more, ``older_than_s`` after publishing."""
    status = await conn.execute(
        """DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)
             AND (awaits IS NULL OR settled_at IS NOT NULL)""",
        older_than_s,
    )
    return int(status.split()[-1])


async def restore(conn: Connection, topic: str, event: CloudEvent, awaits: str | None) -> None:
    """Put a (replayed) event back as unpublished and unsettled, whatever it was before."""
    await add(conn, topic, event, awaits)
    await conn.execute(
        """UPDATE outbox SET published_at = NULL, settled_at = NULL, publish_count = 0,
                             awaits = $2 WHERE event_id = $1""",
        str(event["id"]),
        awaits,
    )
