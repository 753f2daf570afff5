"""Conversations: a customer's ongoing exchange, resumed across channels."""

from __future__ import annotations

from uuid import UUID

from shared.db.pool import Connection

RESUME_WITHIN = "24 hours"


async def open_or_resume(conn: Connection, customer_id: UUID, channel: str) -> UUID:
    """Resume the customer's open conversation active in the last day, or start one."""
    existing = await conn.fetchval(
        f"""SELECT id FROM conversations
            WHERE customer_id = $1 AND status = 'open'
              AND last_message_at > now() - interval '{RESUME_WITHIN}'
            ORDER BY last_message_at DESC LIMIT 1""",
        customer_id,
    )
    if existing is not None:
        await conn.execute(
            "UPDATE conversations SET last_message_at = now() WHERE id = $1", existing
        )
        return existing  # type: ignore[no-any-return]
    return await conn.fetchval(  # type: ignore[no-any-return]
        "INSERT INTO conversations (customer_id, channel) VALUES ($1, $2) RETURNING id",
        customer_id,
        channel,
    )


async def touch(conn: Connection, conversation_id: UUID) -> None:
    """A new message in this conversation: it is active again."""
    await conn.execute(
        "UPDATE conversations SET last_message_at = now(), status = 'open' WHERE id = $1",
        conversation_id,
    )
