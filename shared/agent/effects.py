"""A turn's planned effects, written inside the transaction that holds its claim."""

from __future__ import annotations

from shared.agent.context import TurnContext
from shared.db import messages, tickets
from shared.db.pool import Connection
from shared.relay import keep


async def write_effects(conn: Connection, turn: TurnContext) -> None:
    """The ticket's status, the replies, and the outbox rows of the events the turn emits."""
    ticket = turn.ticket
    await tickets.set_status(conn, ticket.id, ticket.status, ticket.escalation_reason)
    for reply in turn.replies:
        await messages.record(
            conn,
            conversation_id=turn.conversation_id,
            ticket_id=ticket.id,
            channel=turn.message.channel,
            direction="outbound",
            role="agent",
            content=reply.content,
            event_id=reply.event_id,
            delivery_status="pending",
            message_id=reply.message_id,
            in_reply_to=turn.message.message_id,
        )
    await keep(conn, turn.outgoing)
