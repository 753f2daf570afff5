"""Accepting a customer's message, on any channel: in one transaction, the ticket, the message
itself and the outbox row of its ``message.received``. Once that commits, the message is safe:
the agent answers it, or the dead-letter function apologises for it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from events import catalog
from events.envelope import new_event
from events.models import Attachment, Channel, Customer, MessageReceived
from shared.db import conversations, customers, messages, tickets
from shared.db.pool import Connection
from shared.db.processed_events import ANSWER
from shared.db.tickets import Ticket
from shared.relay import Outgoing, keep
from shared.text import clean_text


@dataclass(frozen=True)
class Contact:
    """Who wrote, as the channel identified them (already normalised)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Accepted:
    ticket: Ticket
    message_id: UUID
    outgoing: Outgoing


async def accept_new_ticket(
    conn: Connection,
    *,
    source: str,
    channel: Channel,
    contact: Contact,
    content: str,
    subject: str | None = None,
    category: str | None = None,
    priority: str = "medium",
    access_token_hash: str | None = None,
    thread_id: str | None = None,
    channel_message_id: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Accepted:
    """A first message: the customer (known on any channel, or new), a conversation, a ticket."""
    name = clean_text(contact.name) if contact.name else None
    customer_id = await customers.resolve_customer(
        conn, email=contact.email, phone=contact.phone, name=name
    )
    conversation_id = await conversations.open_or_resume(conn, customer_id, channel)
    ticket = await tickets.create(
        conn,
        customer_id=customer_id,
        conversation_id=conversation_id,
        channel=channel,
        subject=clean_text(subject) if subject else subject,
        category=category,
        priority=priority,
        access_token_hash=access_token_hash,
    )
    customer = Customer(id=customer_id, name=name, email=contact.email, phone=contact.phone)
    return await _file(
        conn, source, channel, ticket, customer, content, thread_id, channel_message_id, attachments
    )


async def accept_follow_up(
    conn: Connection,
    *,
    source: str,
    channel: Channel,
    ticket: Ticket,
    content: str,
    thread_id: str | None = None,
    channel_message_id: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Accepted:
    """A further message on an existing ticket, from that ticket's customer."""
    if ticket.customer_id is None or ticket.conversation_id is None:
        raise ValueError(f"ticket {ticket.ticket_number} has no customer")
    await conversations.touch(conn, ticket.conversation_id)
    known = await customers.profile(conn, ticket.customer_id)
    customer = Customer(
        id=ticket.customer_id, name=known.name, email=known.email, phone=known.phone
    )
    return await _file(
        conn, source, channel, ticket, customer, content, thread_id, channel_message_id, attachments
    )


async def _file(
    conn: Connection,
    source: str,
    channel: Channel,
    ticket: Ticket,
    customer: Customer,
    content: str,
    thread_id: str | None,
    channel_message_id: str | None,
    attachments: tuple[Attachment, ...] = (),
) -> Accepted:
    assert ticket.conversation_id is not None
    content = clean_text(content)  # whichever channel it came from: storable and sendable
    event_id = str(uuid.uuid4())
    message_id = await messages.record(
        conn,
        conversation_id=ticket.conversation_id,
        ticket_id=ticket.id,
        channel=channel,
        direction="inbound",
        role="customer",
        content=content,
        event_id=event_id,
        channel_message_id=channel_message_id,
        attachments=[a.model_dump() for a in attachments],
    )
    data = MessageReceived(
        channel=channel,
        customer=customer,
        content=content,
        subject=ticket.subject,
        category=ticket.category,
        priority=ticket.priority,
        ticket_number=ticket.ticket_number,
        message_id=message_id,
        thread_id=thread_id,
        channel_message_id=channel_message_id,
        attachments=list(attachments),
        received_at=datetime.now(UTC),
    )
    event = new_event(
        data, source=source, partitionkey=customer.key, channel=channel, event_id=event_id
    )
    outgoing = Outgoing(catalog.TOPIC_INCOMING, event, awaits=ANSWER)
    await keep(conn, [outgoing])
    return Accepted(ticket, message_id, outgoing)
