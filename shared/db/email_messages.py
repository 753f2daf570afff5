"""The Gmail messages the email channel has seen (received or sent), each once, by Gmail id."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class EmailMessage:
    gmail_id: str
    thread_id: str
    direction: str
    rfc_message_id: str
    references: str
    subject: str
    address: str
    message_id: UUID | None
    ticket_id: UUID | None


_COLUMNS = (
    'gmail_id, thread_id, direction, rfc_message_id, "references", subject, address, '
    "message_id, ticket_id"
)


async def known(db: Queryable, gmail_ids: Iterable[str]) -> set[str]:
    """Which of these Gmail ids were already seen."""
    rows = await db.fetch(
        "SELECT gmail_id FROM email_messages WHERE gmail_id = ANY($1::text[])", list(gmail_ids)
    )
    return {r["gmail_id"] for r in rows}


async def claim(conn: Connection, gmail_id: str, thread_id: str, direction: str) -> bool:
    """True the first time this Gmail id is recorded; a concurrent duplicate waits, then False."""
    inserted = await conn.fetchval(
        """INSERT INTO email_messages (gmail_id, thread_id, direction) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        gmail_id,
        thread_id,
        direction,
    )
    return bool(inserted)


async def complete(
    conn: Connection,
    gmail_id: str,
    *,
    rfc_message_id: str = "",
    references: str = "",
    subject: str = "",
    address: str = "",
    message_id: UUID | None = None,
    ticket_id: UUID | None = None,
    skipped: str | None = None,
) -> None:
    await conn.execute(
        """UPDATE email_messages SET rfc_message_id = $2, "references" = $3, subject = $4,
                  address = $5, message_id = $6, ticket_id = $7, skipped = $8
           WHERE gmail_id = $1""",
        gmail_id,
        rfc_message_id,
        references,
        subject,
        address,
        message_id,
        ticket_id,
        skipped,
    )


async def ticket_of_thread(db: Queryable, thread_id: str) -> UUID | None:
    """The ticket a Gmail thread is about: the latest one any of its messages was filed on."""
    ticket_id = await db.fetchval(
        """SELECT ticket_id FROM email_messages WHERE thread_id = $1 AND ticket_id IS NOT NULL
           ORDER BY created_at DESC LIMIT 1""",
        thread_id,
    )
    return ticket_id if isinstance(ticket_id, UUID) else None


async def of_message(db: Queryable, message_id: UUID) -> EmailMessage | None:
    """The Gmail message a stored message came in as, or went out as."""
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM email_messages WHERE message_id = $1", message_id
    )
    return EmailMessage(**dict(row)) if row is not None else None


async def record_sent(
    conn: Connection,
    *,
    gmail_id: str,
    thread_id: str,
    rfc_message_id: str,
    references: str,
    subject: str,
    address: str,
    message_id: UUID,
    ticket_id: UUID | None,
) -> None:
    """A reply Gmail accepted (found again after a crash, or sent now): recorded once."""
    await conn.execute(
        """INSERT INTO email_messages (gmail_id, thread_id, direction, rfc_message_id,
                                       "references", subject, address, message_id, ticket_id)
           VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8)
           ON CONFLICT (gmail_id) DO UPDATE SET direction = 'outbound', skipped = NULL,
               message_id = EXCLUDED.message_id, ticket_id = EXCLUDED.ticket_id""",
        gmail_id,
        thread_id,
        rfc_message_id,
        references,
        subject,
        address,
        message_id,
        ticket_id,
    )
