"""Tickets: the number a customer sees, its status, and who may read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class Ticket:
    id: UUID
    ticket_number: str
    customer_id: UUID | None
    conversation_id: UUID | None
    channel: str
    subject: str | None
    category: str | None
    priority: str
    status: str
    escalation_reason: str | None
    access_token_hash: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Ticket:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


_COLUMNS = ", ".join(Ticket.__dataclass_fields__)


async def create(
    conn: Connection,
    *,
    customer_id: UUID,
    conversation_id: UUID,
    channel: str,
    subject: str | None,
    category: str | None,
    priority: str,
    access_token_hash: str | None,
) -> Ticket:
    """Insert a ticket in status ``received``; the database assigns its number."""
    row = await conn.fetchrow(
        f"""INSERT INTO tickets (customer_id, conversation_id, channel, subject, category,
                                 priority, access_token_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}""",
        customer_id,
        conversation_id,
        channel,
        subject,
        category,
        priority,
        access_token_hash,
    )
    assert row is not None
    return Ticket.from_row(row)


async def get_by_number(conn: Queryable, ticket_number: str) -> Ticket | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM tickets WHERE ticket_number = $1", ticket_number
    )
    return Ticket.from_row(row) if row else None


async def get(conn: Queryable, ticket_id: UUID) -> Ticket | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM tickets WHERE id = $1", ticket_id)
    return Ticket.from_row(row) if row else None


async def latest_open(conn: Queryable, customer_id: UUID, within_seconds: float) -> Ticket | None:
    """The customer's most recently active ticket on any channel, unless resolved or failed."""
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM tickets
            WHERE customer_id = $1 AND status NOT IN ('resolved', 'failed')
              AND updated_at > now() - make_interval(secs => $2)
            ORDER BY updated_at DESC LIMIT 1""",
        customer_id,
        within_seconds,
    )
    return Ticket.from_row(row) if row else None


async def set_status(
    conn: Connection, ticket_id: UUID, status: str, escalation_reason: str | None = None
) -> None:
    await conn.execute(
        """UPDATE tickets SET status = $2, escalation_reason = coalesce($3, escalation_reason),
                              escalated_at = CASE WHEN $2 = 'escalated'
                                                  THEN coalesce(escalated_at, now())
                                                  ELSE escalated_at END,
                              updated_at = now() WHERE id = $1""",
        ticket_id,
        status,
        escalation_reason,
    )


async def with_staff_since(db: Queryable, ticket_number: str, message_id: UUID) -> bool:
    """Whether the ticket is with a person and this customer message came after it went to them."""
    found = await db.fetchval(
        """SELECT t.status = 'escalated' AND t.escalated_at IS NOT NULL
                  AND m.created_at > t.escalated_at
           FROM tickets t JOIN messages m ON m.id = $2 WHERE t.ticket_number = $1""",
        ticket_number,
        message_id,
    )
    return bool(found)


def public_view(ticket: Ticket, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """What the ticket's owner may see: no internal ids, no token hash."""
    return {
        "ticket_number": ticket.ticket_number,
        "status": ticket.status,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "category": ticket.category,
        "priority": ticket.priority,
        "escalation_reason": ticket.escalation_reason,
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
        "messages": messages,
    }
