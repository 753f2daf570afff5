"""Ratings of resolved tickets, one per ticket and channel, and the requests that asked for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class Rating:
    channel: str
    score: int
    rated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Rating:
        return cls(row["channel"], row["score"], row["rated_at"])

    def public(self) -> dict[str, Any]:
        return {"channel": self.channel, "score": self.score, "rated_at": self.rated_at.isoformat()}


async def ask(conn: Connection, ticket_id: UUID, channel: str, event_id: str) -> bool:
    """Note that the customer is asked on ``channel``; False when they were asked there before."""
    asked = await conn.fetchval(
        """INSERT INTO rating_requests (ticket_id, channel, event_id) VALUES ($1, $2, $3)
           ON CONFLICT (ticket_id, channel) DO NOTHING RETURNING true""",
        ticket_id,
        channel,
        event_id,
    )
    return bool(asked)


async def asked_on(db: Queryable, ticket_id: UUID) -> list[str]:
    """The channels the customer was asked on for this ticket."""
    rows = await db.fetch(
        "SELECT channel FROM rating_requests WHERE ticket_id = $1 ORDER BY requested_at", ticket_id
    )
    return [r["channel"] for r in rows]


async def rate(conn: Connection, ticket_id: UUID, channel: str, score: int) -> Rating | None:
    """Store the customer's score (replacing an earlier one on the same channel); None when the
    ticket is not resolved."""
    row = await conn.fetchrow(
        """INSERT INTO ticket_ratings (ticket_id, channel, score)
           SELECT id, $2, $3 FROM tickets WHERE id = $1 AND status = 'resolved'
           ON CONFLICT (ticket_id, channel)
               DO UPDATE SET score = EXCLUDED.score, rated_at = clock_timestamp()
           RETURNING channel, score, rated_at""",
        ticket_id,
        channel,
        score,
    )
    return Rating.from_row(row) if row else None


async def for_ticket(db: Queryable, ticket_id: UUID) -> list[Rating]:
    rows = await db.fetch(
        """SELECT channel, score, rated_at FROM ticket_ratings WHERE ticket_id = $1
           ORDER BY rated_at""",
        ticket_id,
    )
    return [Rating.from_row(r) for r in rows]


async def awaiting_on_whatsapp(db: Queryable, phone: str) -> UUID | None:
    """The most recent ticket of the customer with this phone (E.164), when it is resolved and
    its WhatsApp rating is asked for and not given yet."""
    found = await db.fetchval(
        """SELECT t.id FROM (SELECT t.id, t.status FROM tickets t
                             JOIN customer_identifiers i ON i.customer_id = t.customer_id
                             WHERE i.kind = 'phone' AND i.value = $1
                             ORDER BY t.created_at DESC, t.id DESC LIMIT 1) t
           WHERE t.status = 'resolved'
             AND EXISTS (SELECT 1 FROM rating_requests r
                         WHERE r.ticket_id = t.id AND r.channel = 'whatsapp')
             AND NOT EXISTS (SELECT 1 FROM ticket_ratings g
                             WHERE g.ticket_id = t.id AND g.channel = 'whatsapp')""",
        phone,
    )
    return found if isinstance(found, UUID) else None
