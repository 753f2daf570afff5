"""Customer messages as an intake accepts them: stored on a ticket, with their event."""

from __future__ import annotations

from cloudevents.http import CloudEvent

from events.models import Channel
from shared.db import get_pool
from shared.db.tickets import Ticket
from shared.intake.accept import Accepted, Contact, accept_follow_up, accept_new_ticket


async def accept(
    content: str = "How do I reset my password?",
    *,
    channel: Channel = "web_form",
    name: str | None = "Ada",
    email: str | None = "ada@example.com",
    phone: str | None = "+14155552671",
    subject: str | None = "Reset password",
) -> Accepted:
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        return await accept_new_ticket(
            conn,
            source="/test",
            channel=channel,
            contact=Contact(name=name, email=email, phone=phone),
            content=content,
            subject=subject,
        )


async def accepted_event(
    content: str = "How do I reset my password?", **kwargs: object
) -> CloudEvent:
    return (await accept(content, **kwargs)).outgoing.event  # type: ignore[arg-type]


async def follow_up(ticket: Ticket, content: str, channel: Channel = "web_form") -> CloudEvent:
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        accepted = await accept_follow_up(
            conn, source="/test", channel=channel, ticket=ticket, content=content
        )
    return accepted.outgoing.event
