"""What happens to a customer's message that could not be handled: it is kept, and they hear from us."""

from __future__ import annotations

import functools
import logging

from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import InvalidEvent, derived_id, new_event, read_event
from events.models import MessageReceived, ReplyReady
from shared.agent.formatting import format_reply
from shared.db import (
    conversations,
    customers,
    dead_letters,
    get_pool,
    messages,
    processed_events,
    tickets,
)
from shared.db.pool import Connection
from shared.publisher import publish

CONSUMER = "dead-letter"
SOURCE = catalog.source_of("dead-letter")
APOLOGY = (
    "We're sorry: something went wrong on our side while handling your message. It is saved, "
    "and a member of our team will pick it up and answer you personally."
)
log = logging.getLogger(__name__)


async def handle_dead_letter(event: CloudEvent) -> None:
    """Record the event; for a customer's message, keep it on a ticket and send an apology."""
    message: MessageReceived | None = None
    if event["type"] == catalog.MESSAGE_RECEIVED:
        try:
            message = read_event(event, MessageReceived)
        except InvalidEvent:
            message = None
    event_id = str(event["id"])
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            return
        await dead_letters.record(conn, event, message.ticket_number if message else None)
        log.warning(
            "dead letter %s (%s) recorded, error code %s",
            event_id,
            event["type"],
            event.get("knativeerrorcode"),
        )
        if message is None:
            if event["type"] == catalog.REPLY_READY:
                await _escalate_undelivered(conn, event)
            return
        await _keep_and_apologise(conn, message, event_id)


async def _keep_and_apologise(conn: Connection, message: MessageReceived, event_id: str) -> None:
    """Put the message on its ticket, hand the ticket to a person, and tell the customer."""
    customer_id = await customers.resolve_customer(
        conn, email=message.customer.email, phone=message.customer.phone, name=message.customer.name
    )
    conversation_id = await conversations.open_or_resume(conn, customer_id, message.channel)
    ticket = await tickets.open_ticket(
        conn,
        ticket_number=message.ticket_number,
        customer_id=customer_id,
        conversation_id=conversation_id,
        channel=message.channel,
        subject=message.subject,
        category=message.category,
        priority=message.priority,
        access_token_hash=message.access_token_hash,
    )
    await tickets.set_status(conn, ticket.id, "escalated", "agent_error")
    record = functools.partial(
        messages.record,
        conn,
        conversation_id=conversation_id,
        ticket_id=ticket.id,
        channel=message.channel,
        event_id=event_id,
    )
    await record(direction="inbound", role="customer", content=message.content)
    parts = format_reply(message.channel, APOLOGY, customer_name=message.customer.name, limit=1600)
    message_id = await record(
        direction="outbound", role="agent", content="\n\n".join(parts), delivery_status="pending"
    )
    reply = ReplyReady(
        channel=message.channel,
        ticket_number=ticket.ticket_number,
        message_id=str(message_id),
        customer=message.customer,
        parts=parts,
        subject=message.subject,
        thread_id=message.thread_id,
        in_reply_to=event_id,
    )
    await publish(
        catalog.TOPIC_OUTGOING,
        new_event(
            reply,
            source=SOURCE,
            partitionkey=message.customer.key,
            channel=message.channel,
            event_id=derived_id(event_id, "apology"),
        ),
    )
    await dead_letters.mark_apology_sent(conn, event_id)


async def _escalate_undelivered(conn: Connection, event: CloudEvent) -> None:
    """A reply that no sender could deliver: the ticket goes to a person."""
    try:
        reply = read_event(event, ReplyReady)
    except InvalidEvent:
        return
    ticket = await tickets.get_by_number(conn, reply.ticket_number)
    if ticket is not None:
        await tickets.set_status(conn, ticket.id, "escalated", "agent_error")
    await conn.execute(
        "UPDATE messages SET delivery_status = 'failed' WHERE id = $1::uuid", reply.message_id
    )
