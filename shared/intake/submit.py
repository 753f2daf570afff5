"""Intake: number the ticket and hand the message to Kafka, both or neither."""

from __future__ import annotations

from datetime import UTC, datetime

from events import catalog
from events.envelope import new_event
from events.models import Customer, MessageReceived
from shared.access import hash_token, new_token
from shared.config import get_settings
from shared.db import get_pool, tickets
from shared.intake.web_form import Receipt, SupportForm, status_url
from shared.publisher import publish

SOURCE = catalog.source_of("intake-web-form")


async def submit_form(form: SupportForm) -> Receipt:
    """Reserve the ticket number and publish ``message.received`` with acks=all.

    The ticket row commits only after the broker acknowledged the event, so a failed publish
    leaves nothing behind (a skipped number at most); the agent runner opens the same number.
    """
    token = new_token()
    customer = Customer(name=form.name, email=form.email, phone=form.phone)
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await tickets.reserve(
            conn,
            channel="web_form",
            subject=form.subject,
            category=form.category,
            priority=form.priority,
            access_token_hash=hash_token(token),
        )
        data = MessageReceived(
            channel="web_form",
            customer=customer,
            content=form.message,
            subject=form.subject,
            category=form.category,
            priority=form.priority,
            ticket_number=ticket.ticket_number,
            access_token_hash=ticket.access_token_hash,
            received_at=datetime.now(UTC),
        )
        await publish(
            catalog.TOPIC_INCOMING,
            new_event(data, source=SOURCE, partitionkey=customer.key, channel="web_form"),
        )
    url = status_url(ticket.ticket_number, token, get_settings().public_base_url)
    return Receipt(ticket_number=ticket.ticket_number, status_url=url, access_token=token)
