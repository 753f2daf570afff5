"""The record of every staff action on a ticket: who, when, what."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.pool import Connection, Queryable


async def record(
    conn: Connection,
    staff_id: UUID,
    ticket_id: UUID | None,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO staff_actions (staff_id, ticket_id, action, detail)
           VALUES ($1, $2, $3, $4)""",
        staff_id,
        ticket_id,
        action,
        detail or {},
    )


async def for_ticket(db: Queryable, ticket_id: UUID) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT a.action, a.detail, a.created_at, s.id AS staff_id, s.name
           FROM staff_actions a JOIN staff s ON s.id = a.staff_id
           WHERE a.ticket_id = $1 ORDER BY a.created_at, a.id""",
        ticket_id,
    )
    return [
        {
            "action": r["action"],
            "staff": {"id": str(r["staff_id"]), "name": r["name"]},
            "detail": r["detail"],
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]
