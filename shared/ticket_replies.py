"""A message we send the customer on a ticket outside the agent's turn (a person's answer, a
rating request, thanks for a rating): stored as an outbound message and planned as a
``support.reply.ready`` for the channel's sender, to be kept in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Literal
from uuid import UUID

import asyncpg

from events import catalog
from events.envelope import new_event
from events.models import Customer, ReplyReady
from shared.agent.formatting import format_reply
from shared.channels import sender_of
from shared.db import channel_configs, customers, messages
from shared.db.pool import Connection
from shared.db.tickets import Ticket
from shared.relay import Outgoing


async def plan_reply(
    conn: Connection,
    ticket: Ticket,
    answered: asyncpg.Record,
    text: str,
    *,
    source: str,
    role: Literal["staff", "system"],
    author_staff_id: UUID | None = None,
    rating: Literal["request", "thanks"] | None = None,
    event_id: str | None = None,
) -> tuple[Outgoing, UUID]:
    """``answered`` is the customer message this replies to (``id``, ``event_id``, ``channel``,
    ``conversation_id``): the reply goes out on its channel. The outgoing event and the
    stored message's id."""
    assert ticket.customer_id is not None
    channel = answered["channel"]
    profile = await customers.profile(conn, ticket.customer_id)
    customer = Customer(
        id=ticket.customer_id, name=profile.name, email=profile.email, phone=profile.phone
    )
    limit = await channel_configs.max_response_length(conn, channel)
    parts = format_reply(channel, text, customer_name=profile.name, limit=limit)
    event_id = event_id or str(uuid.uuid4())
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{event_id}/message")
    await messages.record(
        conn,
        conversation_id=answered["conversation_id"],
        ticket_id=ticket.id,
        channel=channel,
        direction="outbound",
        role=role,
        content="\n\n".join(parts),
        event_id=event_id,
        delivery_status="pending",
        message_id=message_id,
        in_reply_to=answered["id"],
        author_staff_id=author_staff_id,
    )
    reply = ReplyReady(
        channel=channel,
        ticket_number=ticket.ticket_number,
        message_id=message_id,
        customer=customer,
        parts=parts,
        subject=ticket.subject,
        in_reply_to=answered["event_id"] or event_id,
        author_staff_id=author_staff_id,
        rating=rating,
    )
    event = new_event(
        reply, source=source, partitionkey=customer.key, channel=channel, event_id=event_id
    )
    return Outgoing(catalog.TOPIC_OUTGOING, event, awaits=sender_of(channel)), message_id
