"""Intake: number the ticket and hand the message to Kafka, both or neither."""

from __future__ import annotations

from datetime import UTC, datetime

from events import catalog
from events.envelope import new_event
from events.models import Customer, MessageReceived
from shared.access import hash_token, new_token
from shared.config import get_settings
from shared.db import customers, get_pool, tickets
from shared.db.tickets import Ticket
from shared.http_api import BadRequest
from shared.intake.web_form import FollowUp, Receipt, SupportForm, status_url
from shared.publisher import publish
from shared.ticket_status import ticket_for_token

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
        await _publish(customer, form.message, ticket, access_token_hash=ticket.access_token_hash)
    return _receipt(ticket, token)


async def submit_follow_up(ticket_number: str, token: str | None, follow_up: FollowUp) -> Receipt:
    """Publish a follow-up on an existing ticket, for the holder of its token only.

    The customer is the ticket's customer, so the follow-up joins the same conversation and
    partition key. Until the first message is handled the ticket has no customer yet: 409.
    """
    pool = await get_pool()
    async with pool.acquire() as conn:
        ticket = await ticket_for_token(conn, ticket_number, token)
        if ticket is None or token is None:
            raise BadRequest(404, "no ticket with that number for this token")
        if ticket.customer_id is None:
            raise BadRequest(409, "your first message is still being handled; try again shortly")
        known = await customers.profile(conn, ticket.customer_id)
    customer = Customer(name=known.name, email=known.email, phone=known.phone)
    await _publish(customer, follow_up.message, ticket)
    return _receipt(ticket, token)


async def _publish(
    customer: Customer, content: str, ticket: Ticket, access_token_hash: str | None = None
) -> None:
    """``message.received`` for the web channel, on the ticket's number, keyed by the customer."""
    data = MessageReceived(
        channel="web_form",
        customer=customer,
        content=content,
        subject=ticket.subject,
        category=ticket.category,
        priority=ticket.priority,
        ticket_number=ticket.ticket_number,
        access_token_hash=access_token_hash,
        received_at=datetime.now(UTC),
    )
    await publish(
        catalog.TOPIC_INCOMING,
        new_event(data, source=SOURCE, partitionkey=customer.key, channel="web_form"),
    )


def _receipt(ticket: Ticket, token: str) -> Receipt:
    url = status_url(ticket.ticket_number, token, get_settings().public_base_url)
    return Receipt(
        ticket_number=ticket.ticket_number, status_url=url, access_token=token, status=ticket.status
    )
