"""WhatsApp's inbound side: MessageSids seen, and per number the last message and opt-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.db.pool import Connection, Queryable


async def first_sight(conn: Connection, message_sid: str) -> bool:
    """True the first time a MessageSid is seen; a concurrent duplicate waits for the first."""
    inserted = await conn.fetchval(
        """INSERT INTO whatsapp_inbound (message_sid) VALUES ($1)
           ON CONFLICT DO NOTHING RETURNING true""",
        message_sid,
    )
    return bool(inserted)


async def link_inbound(conn: Connection, message_sid: str, message_id: UUID) -> None:
    await conn.execute(
        "UPDATE whatsapp_inbound SET message_id = $2 WHERE message_sid = $1",
        message_sid,
        message_id,
    )


async def customer_wrote(conn: Connection, phone: str) -> None:
    """The customer's message opens (or keeps open) WhatsApp's customer-service window."""
    await conn.execute(
        """INSERT INTO whatsapp_contacts (phone, last_inbound_at) VALUES ($1, now())
           ON CONFLICT (phone) DO UPDATE SET last_inbound_at = now()""",
        phone,
    )


async def set_opted_out(conn: Connection, phone: str, opted_out: bool) -> None:
    await conn.execute(
        """INSERT INTO whatsapp_contacts (phone, opted_out_at)
           VALUES ($1, CASE WHEN $2 THEN now() END)
           ON CONFLICT (phone) DO UPDATE
           SET opted_out_at = CASE WHEN $2 THEN coalesce(whatsapp_contacts.opted_out_at, now()) END""",
        phone,
        opted_out,
    )


@dataclass(frozen=True)
class ContactState:
    last_inbound_at: datetime | None
    opted_out: bool


async def contact(db: Queryable, phone: str) -> ContactState:
    row = await db.fetchrow(
        "SELECT last_inbound_at, opted_out_at FROM whatsapp_contacts WHERE phone = $1", phone
    )
    if row is None:
        return ContactState(None, False)
    return ContactState(row["last_inbound_at"], row["opted_out_at"] is not None)
