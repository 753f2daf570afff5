"""Internal notes on tickets: never sent, never on the customer's page; a private one is its author's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.pool import Connection, Queryable


async def add(conn: Connection, ticket_id: UUID, staff_id: UUID, body: str, private: bool) -> UUID:
    note_id = await conn.fetchval(
        """INSERT INTO ticket_notes (ticket_id, staff_id, body, private)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        ticket_id,
        staff_id,
        body,
        private,
    )
    assert isinstance(note_id, UUID)
    return note_id


async def visible_to(db: Queryable, ticket_id: UUID, staff_id: UUID) -> list[dict[str, Any]]:
    """The ticket's team notes and the reader's own private ones, oldest first."""
    rows = await db.fetch(
        """SELECT n.id, n.body, n.private, n.created_at, s.id AS author_id, s.name AS author
           FROM ticket_notes n JOIN staff s ON s.id = n.staff_id
           WHERE n.ticket_id = $1 AND (NOT n.private OR n.staff_id = $2)
           ORDER BY n.created_at""",
        ticket_id,
        staff_id,
    )
    return [
        {
            "id": str(r["id"]),
            "body": r["body"],
            "private": r["private"],
            "author": {"id": str(r["author_id"]), "name": r["author"]},
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]
