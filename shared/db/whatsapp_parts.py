"""The parts of WhatsApp replies: each recorded before it is sent, then its SID and status."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from shared.db.pool import Connection, Queryable

#: How far a status has come: a callback only ever moves a part to a higher rank. A failure
#: outranks "sent" (Twilio gave up after sending) but not "delivered" or "read".
STATUS_RANK: Final[dict[str, int]] = {
    "sending": 0,
    "queued": 1,
    "sent": 2,
    "failed": 3,
    "undelivered": 3,
    "delivered": 4,
    "read": 5,
}


#: The rank of the row's current status, in SQL.
_RANK_SQL = (
    "(CASE status "
    + " ".join(f"WHEN '{s}' THEN {r}" for s, r in STATUS_RANK.items())
    + " ELSE 0 END)"
)


@dataclass(frozen=True)
class Part:
    message_id: UUID
    part: int
    body: str
    content_sid: str | None
    sid: str | None
    status: str
    error_code: int | None
    attempted_at: datetime


async def parts_of(db: Queryable, message_id: UUID) -> list[Part]:
    rows = await db.fetch(
        """SELECT message_id, part, body, content_sid, sid, status, error_code, attempted_at
           FROM whatsapp_parts WHERE message_id = $1 ORDER BY part""",
        message_id,
    )
    return [Part(**dict(r)) for r in rows]


async def intend(
    conn: Connection, message_id: UUID, part: int, body: str, content_sid: str | None = None
) -> tuple[Part, bool]:
    """Record a part as about to be sent (committed before the send): the row, and whether it
    is new (False: an earlier attempt recorded it, and may or may not have sent it)."""
    inserted = await conn.fetchval(
        """INSERT INTO whatsapp_parts (message_id, part, body, content_sid)
           VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, part) DO NOTHING RETURNING true""",
        message_id,
        part,
        body,
        content_sid,
    )
    found = await part_of(conn, message_id, part)
    assert found is not None
    return found, bool(inserted)


async def part_of(db: Queryable, message_id: UUID, part: int) -> Part | None:
    row = await db.fetchrow(
        """SELECT message_id, part, body, content_sid, sid, status, error_code, attempted_at
           FROM whatsapp_parts WHERE message_id = $1 AND part = $2""",
        message_id,
        part,
    )
    return Part(**dict(row)) if row else None


async def known_sids(db: Queryable, sids: list[str]) -> set[str]:
    """Which of these SIDs some reply part already holds."""
    rows = await db.fetch("SELECT sid FROM whatsapp_parts WHERE sid = ANY($1::text[])", sids)
    return {r["sid"] for r in rows}


@contextlib.asynccontextmanager
async def reply_lock(conn: Connection, message_id: UUID) -> AsyncIterator[bool]:
    """One delivery of a reply at a time (a session lock: a killed sender's goes with its
    connection). Yields False when another delivery holds it."""
    key = f"whatsapp-reply:{message_id}"
    held = await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key)
    try:
        yield bool(held)
    finally:
        if held:
            await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)


async def record_sid(conn: Connection, message_id: UUID, part: int, sid: str, status: str) -> None:
    """Twilio accepted the part: its SID, and its status unless a callback already moved it on."""
    await conn.execute(
        f"""UPDATE whatsapp_parts SET sid = coalesce(sid, $3), updated_at = now(),
                   status = CASE WHEN $5 > {_RANK_SQL} THEN $4 ELSE status END
            WHERE message_id = $1 AND part = $2""",
        message_id,
        part,
        sid,
        status,
        STATUS_RANK.get(status, 0),
    )


async def record_failure(conn: Connection, message_id: UUID, part: int, error_code: int) -> None:
    await conn.execute(
        """UPDATE whatsapp_parts SET status = 'failed', error_code = $3, updated_at = now()
           WHERE message_id = $1 AND part = $2""",
        message_id,
        part,
        error_code,
    )


async def advance(
    conn: Connection,
    sid: str,
    status: str,
    error_code: int | None,
    claim: tuple[UUID, int] | None = None,
) -> UUID | None:
    """Move the part with ``sid`` to ``status`` if that is forward; the reply's message id.

    ``claim`` (message id, part), from the callback URL, finds a part whose SID the sender
    never got to record (it crashed after Twilio accepted the part): the callback records it.
    """
    if claim is not None:
        await conn.execute(
            """UPDATE whatsapp_parts SET sid = $3 WHERE message_id = $1 AND part = $2
               AND sid IS NULL""",
            claim[0],
            claim[1],
            sid,
        )
    found: UUID | None = await conn.fetchval(
        f"""UPDATE whatsapp_parts
            SET status = CASE WHEN $3 > {_RANK_SQL} THEN $2 ELSE status END,
                error_code = CASE WHEN $3 > {_RANK_SQL} THEN coalesce($4, error_code)
                                  ELSE error_code END,
                updated_at = now()
            WHERE sid = $1 RETURNING message_id""",
        sid,
        status,
        STATUS_RANK[status],
        error_code,
    )
    return found


async def summarise(conn: Connection, message_id: UUID) -> tuple[str, UUID | None] | None:
    """Set the reply's delivery status to its least advanced part's (a failure shows first);
    the status and the reply's ticket. Part 0, a template sent instead, does not count.

    The reply's row is locked first, in a statement of its own: concurrent callbacks for two
    parts then summarise one after the other, the second seeing the first's part committed.
    """
    await conn.execute("SELECT 1 FROM messages WHERE id = $1 FOR UPDATE", message_id)
    row = await conn.fetchrow(
        f"""WITH p AS (
                SELECT status, error_code, {_RANK_SQL} AS rank,
                       status IN ('failed', 'undelivered') AS failed
                FROM whatsapp_parts WHERE message_id = $1 AND part > 0),
            worst AS (SELECT status, error_code FROM p
                      ORDER BY failed DESC, rank, status LIMIT 1)
            UPDATE messages m SET
                delivery_status = CASE worst.status WHEN 'sending' THEN 'pending'
                                  ELSE worst.status END,
                delivery_error = coalesce(worst.error_code::text, m.delivery_error),
                delivered_at = CASE WHEN worst.status IN ('delivered', 'read')
                                    THEN coalesce(m.delivered_at, now()) ELSE m.delivered_at END
            FROM worst WHERE m.id = $1 RETURNING m.delivery_status, m.ticket_id""",
        message_id,
    )
    return (row["delivery_status"], row["ticket_id"]) if row else None


async def mark_not_sent(conn: Connection, message_id: UUID, reason: str) -> None:
    """A reply that will not go out on WhatsApp (opted out, window closed): failed, with why."""
    await conn.execute(
        """UPDATE messages SET delivery_status = 'failed', delivery_error = $2
           WHERE id = $1 AND direction = 'outbound'""",
        message_id,
        reason,
    )
