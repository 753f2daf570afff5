"""Messages of a conversation, in both directions, with their delivery state."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.pool import Connection, Queryable


async def record(
    conn: Connection,
    *,
    conversation_id: UUID,
    ticket_id: UUID | None,
    channel: str,
    direction: str,
    role: str,
    content: str,
    event_id: str | None,
    delivery_status: str = "received",
    channel_message_id: str | None = None,
    message_id: UUID | None = None,
    in_reply_to: UUID | None = None,
    attachments: list[dict[str, str]] | None = None,
    author_staff_id: UUID | None = None,
) -> UUID:
    """Store a message once per (event, direction); a redelivered event finds the first row.

    Inbound, ``event_id`` is the ``message.received`` the intake emits; outbound, the
    ``reply.ready`` that carries it, and ``in_reply_to`` the customer message it answers.
    """
    message_id = await conn.fetchval(
        """INSERT INTO messages (id, conversation_id, ticket_id, channel, direction, role, content,
                                 event_id, delivery_status, channel_message_id, in_reply_to,
                                 attachments, author_staff_id)
           VALUES (coalesce($1, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                   coalesce($12::jsonb, '[]'::jsonb), $13)
           ON CONFLICT (event_id, direction) WHERE event_id IS NOT NULL DO NOTHING
           RETURNING id""",
        message_id,
        conversation_id,
        ticket_id,
        channel,
        direction,
        role,
        content,
        event_id,
        delivery_status,
        channel_message_id,
        in_reply_to,
        attachments or None,
        author_staff_id,
    )
    if message_id is None:
        message_id = await conn.fetchval(
            "SELECT id FROM messages WHERE event_id = $1 AND direction = $2", event_id, direction
        )
    assert isinstance(message_id, UUID)
    return message_id


async def mark_delivered(
    conn: Connection, message_id: UUID, channel_message_id: str | None = None
) -> bool:
    """False when there is no such outbound message."""
    status = await conn.execute(
        """UPDATE messages SET delivery_status = 'delivered', delivered_at = now(),
                               channel_message_id = coalesce($2, channel_message_id)
           WHERE id = $1 AND direction = 'outbound'""",
        message_id,
        channel_message_id,
    )
    return status.endswith(" 1")


async def answered(db: Queryable, reply_id: UUID) -> UUID | None:
    """The customer message an outbound message answers."""
    answered_id = await db.fetchval("SELECT in_reply_to FROM messages WHERE id = $1", reply_id)
    return answered_id if isinstance(answered_id, UUID) else None


async def start_sending(db: Queryable, message_id: UUID) -> bool:
    """Note that sending begins; True when an earlier attempt had begun too (it may have sent)."""
    started_before = await db.fetchval(
        """UPDATE messages m SET send_started_at = now()
           FROM (SELECT id, send_started_at FROM messages WHERE id = $1 FOR UPDATE) earlier
           WHERE m.id = earlier.id
           RETURNING earlier.send_started_at IS NOT NULL""",
        message_id,
    )
    return bool(started_before)


async def mark_failed(conn: Connection, message_id: UUID) -> None:
    await conn.execute(
        "UPDATE messages SET delivery_status = 'failed' WHERE id = $1 AND direction = 'outbound'",
        message_id,
    )


async def for_ticket(conn: Connection, ticket_id: UUID) -> list[dict[str, Any]]:
    """The ticket's thread, oldest first, as the customer may see it."""
    rows = await conn.fetch(
        """SELECT id, role, channel, content, created_at, delivery_status, delivery_error
           FROM messages WHERE ticket_id = $1 AND role <> 'system' ORDER BY created_at, id""",
        ticket_id,
    )
    return [
        {
            "id": str(r["id"]),
            "role": r["role"],
            "channel": r["channel"],
            "content": r["content"],
            "created_at": r["created_at"].isoformat(),
            "delivery_status": r["delivery_status"],
            "delivery_error": r["delivery_error"],
        }
        for r in rows
    ]


async def history_of(conn: Queryable, customer_id: UUID, limit: int = 20) -> list[dict[str, Any]]:
    """The customer's messages on every channel, newest first, at most ``limit``."""
    rows = await conn.fetch(
        """SELECT m.role, m.channel, m.content, m.created_at, t.ticket_number
           FROM messages m
           JOIN conversations c ON c.id = m.conversation_id
           LEFT JOIN tickets t ON t.id = m.ticket_id
           WHERE c.customer_id = $1 AND m.role <> 'system'
           ORDER BY m.created_at DESC LIMIT $2""",
        customer_id,
        limit,
    )
    return [
        {
            "role": r["role"],
            "channel": r["channel"],
            "ticket_number": r["ticket_number"],
            "content": r["content"],
            "created_at": r["created_at"].isoformat(),
        }
        for r in rows
    ]
