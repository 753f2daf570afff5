"""Idempotency: a consumer claims a CloudEvent id in the same transaction as its effect."""

from __future__ import annotations

from shared.db.pool import Connection


async def claim(conn: Connection, consumer: str, event_id: str) -> bool:
    """True the first time; False when this consumer already committed this event.

    Must run inside the transaction that writes the effect: a concurrent duplicate blocks on
    the row until the first commits (then sees it) or rolls back (then takes over).
    """
    inserted = await conn.fetchval(
        """INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING true""",
        consumer,
        event_id,
    )
    return bool(inserted)
