"""Idempotency: a consumer claims a CloudEvent id in the same transaction as its effect.

Two claims are shared on purpose, so that of two parties only the first to commit acts:

- ``ANSWER`` on a customer's ``message.received``: the agent's reply, or the dead-letter
  function's apology. Never both.
- a channel sender's name on a ``reply.ready``: the sender delivers it, or the dead-letter
  function gives up on it and apologises. Never both.
"""

from __future__ import annotations

from shared.db.pool import Connection, Queryable

ANSWER = "answer"


async def claim(conn: Connection, consumer: str, event_id: str, by: str | None = None) -> bool:
    """True the first time; False when ``consumer``'s claim on this event was already taken.

    Must run inside the transaction that writes the effect: a concurrent duplicate blocks on
    the row until the first commits (then sees it) or rolls back (then takes over).
    """
    inserted = await conn.fetchval(
        """INSERT INTO processed_events (consumer, event_id, claimed_by) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        consumer,
        event_id,
        by or consumer,
    )
    return bool(inserted)


async def is_claimed(db: Queryable, consumer: str, event_id: str) -> bool:
    """A cheap look before expensive work; the claim in the effect's transaction decides."""
    found = await db.fetchval(
        "SELECT true FROM processed_events WHERE consumer = $1 AND event_id = $2",
        consumer,
        event_id,
    )
    return bool(found)


async def release(conn: Connection, consumer: str, event_id: str, claimed_by: str) -> bool:
    """Undo a claim ``claimed_by`` took (a replay lets the consumer act after all)."""
    status = await conn.execute(
        "DELETE FROM processed_events WHERE consumer = $1 AND event_id = $2 AND claimed_by = $3",
        consumer,
        event_id,
        claimed_by,
    )
    return status.endswith(" 1")
