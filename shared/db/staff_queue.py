"""What staff read: the queue of tickets waiting for a person, and a customer's whole history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from shared.db.pool import Connection, Queryable

#: Tickets a person must look at: handed over by the agent, or failed by it.
WAITING = ("escalated", "failed")

_ITEM = """
    SELECT t.id, t.ticket_number, t.subject, t.channel, t.priority, t.status,
           t.escalation_reason, t.created_at, t.updated_at, t.first_response_at, t.resolved_at,
           c.name AS customer_name,
           (SELECT value FROM customer_identifiers i
            WHERE i.customer_id = c.id AND i.kind = 'email' ORDER BY i.id LIMIT 1) AS email,
           (SELECT value FROM customer_identifiers i
            WHERE i.customer_id = c.id AND i.kind = 'phone' ORDER BY i.id LIMIT 1) AS phone,
           s.id AS assignee_id, s.name AS assignee_name, s.email AS assignee_email,
           (SELECT min(m.created_at) FROM messages m
            WHERE m.ticket_id = t.id AND m.role = 'customer'
              AND m.created_at > coalesce(
                  (SELECT max(r.created_at) FROM messages r
                   WHERE r.ticket_id = t.id AND r.role = 'staff'), '-infinity')
           ) AS waiting_since
    FROM tickets t
    LEFT JOIN customers c ON c.id = t.customer_id
    LEFT JOIN staff s ON s.id = t.assigned_to
"""


async def queue(db: Queryable, view: str, staff_id: UUID, limit: int = 200) -> list[asyncpg.Record]:
    """``waiting``: escalated or failed; ``mine``: those assigned to ``staff_id``; ``all``:
    every ticket but resolved ones. Longest wait first."""
    filters: dict[str, tuple[str, list[object]]] = {
        "waiting": ("t.status = ANY($1::text[])", [list(WAITING)]),
        "mine": ("t.status <> 'resolved' AND t.assigned_to = $1", [staff_id]),
        "all": ("t.status <> 'resolved'", []),
    }
    where, args = filters[view]
    return await db.fetch(
        f"""{_ITEM} WHERE {where}
            ORDER BY waiting_since ASC NULLS LAST, t.updated_at ASC LIMIT ${len(args) + 1}""",
        *args,
        limit,
    )


async def item(db: Queryable, ticket_number: str) -> asyncpg.Record | None:
    return await db.fetchrow(f"{_ITEM} WHERE t.ticket_number = $1", ticket_number)


async def history(db: Queryable, customer_id: UUID, limit: int = 500) -> list[dict[str, Any]]:
    """Everything the customer sent on any channel and every answer, oldest first."""
    rows = await db.fetch(
        """SELECT m.id, m.role, m.channel, m.content, m.created_at, m.delivery_status,
                  t.ticket_number, s.id AS author_id, s.name AS author_name
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           LEFT JOIN tickets t ON t.id = m.ticket_id
           LEFT JOIN staff s ON s.id = m.author_staff_id
           WHERE c.customer_id = $1 AND m.role <> 'system'
           ORDER BY m.created_at, m.id LIMIT $2""",
        customer_id,
        limit,
    )
    return [
        {
            "id": str(r["id"]),
            "ticket_number": r["ticket_number"],
            "role": r["role"],
            "channel": r["channel"],
            "content": r["content"],
            "created_at": r["created_at"].isoformat(),
            "delivery_status": r["delivery_status"],
            "author": (
                {"id": str(r["author_id"]), "name": r["author_name"]} if r["author_id"] else None
            ),
        }
        for r in rows
    ]


async def latest_inbound(db: Queryable, ticket_id: UUID) -> asyncpg.Record | None:
    """The customer's latest message on the ticket: what a person's answer answers."""
    return await db.fetchrow(
        """SELECT id, event_id, channel, conversation_id FROM messages
           WHERE ticket_id = $1 AND direction = 'inbound'
           ORDER BY created_at DESC LIMIT 1""",
        ticket_id,
    )


async def assign(conn: Connection, ticket_id: UUID, staff_id: UUID | None) -> None:
    await conn.execute(
        "UPDATE tickets SET assigned_to = $2, updated_at = now() WHERE id = $1", ticket_id, staff_id
    )


async def answered_by_staff(conn: Connection, ticket_id: UUID) -> None:
    await conn.execute(
        """UPDATE tickets SET first_response_at = coalesce(first_response_at, now()),
               updated_at = now() WHERE id = $1""",
        ticket_id,
    )


async def resolve(conn: Connection, ticket_id: UUID) -> None:
    await conn.execute(
        """UPDATE tickets SET status = 'resolved', resolved_at = now(), updated_at = now()
           WHERE id = $1""",
        ticket_id,
    )


async def reopen(conn: Connection, ticket_id: UUID) -> None:
    await conn.execute(
        """UPDATE tickets SET status = 'escalated', resolved_at = NULL, updated_at = now(),
                              escalated_at = now() WHERE id = $1""",
        ticket_id,
    )


async def waiting_clocks(db: Queryable) -> list[asyncpg.Record]:
    """Priority and clock times of every waiting ticket: for the SLA counts in health."""
    return await db.fetch(
        """SELECT priority, created_at, first_response_at, resolved_at FROM tickets
           WHERE status = ANY($1::text[])""",
        list(WAITING),
    )
