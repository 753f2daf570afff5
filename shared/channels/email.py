"""The email channel's sender: the reply goes out with ``messages.send``, in the customer's thread.

Sent at most once per reply, even across a crash between Gmail accepting it and the record of
it: the reply's ``Message-ID`` is fixed by its stored message, and a sender that finds an
earlier attempt begun asks Gmail for that ``Message-ID`` (``rfc822msgid:``) before sending.
The ``reply.ready``'s claim, held from before the send to the commit of its record, keeps a
concurrent duplicate (or the dead-letter function) waiting on the outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from cloudevents.http import CloudEvent

from events.envelope import InvalidEvent, read_event
from events.models import ReplyReady
from shared.access import hash_token
from shared.channels import email_reply, sender_of
from shared.channels.gmail_api import Gmail, GmailRefused, MessageRef, gmail
from shared.config import Settings, get_settings
from shared.db import email_messages, get_pool, messages, processed_events, tickets
from shared.db.pool import Queryable
from shared.intake.email import status_link_token
from shared.intake.web_form import status_url
from shared.ratings.wording import rating_url

CONSUMER = sender_of("email")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Addressing:
    """Where a reply goes: to whom, in which thread, answering which ``Message-ID``."""

    to: str
    thread_id: str | None
    subject: str
    in_reply_to: str
    references: str
    ticket_id: UUID | None


async def deliver_email_reply(event: CloudEvent) -> bool:
    """True when sent (or found sent) now; False when this reply was already handled."""
    reply = read_event(event, ReplyReady)
    if reply.channel != "email":
        raise InvalidEvent(f"send-email handles email replies, not {reply.channel}")
    return await send_reply(str(event["id"]), reply, gmail(), get_settings())


async def send_reply(event_id: str, reply: ReplyReady, mailbox: Gmail, settings: Settings) -> bool:
    pool = await get_pool()
    if await processed_events.is_claimed(pool, CONSUMER, event_id):
        return False
    addressing = await _addressing(pool, reply)
    rfc_id = email_reply.reply_message_id(reply.message_id, settings.gmail_address)
    text = await _with_status_link(pool, reply, addressing, settings)
    if text is None:
        return await _not_worth_sending(event_id, reply)
    raw = email_reply.as_bytes(
        email_reply.build_reply(
            support_address=settings.gmail_address,
            support_name=settings.support_name,
            to=addressing.to,
            subject=addressing.subject,
            in_reply_to=addressing.in_reply_to,
            references=addressing.references,
            message_id=rfc_id,
            text=text,
        )
    )
    tried_before = await messages.start_sending(pool, reply.message_id)
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            return False
        sent = await _send_once(mailbox, raw, rfc_id, addressing.thread_id, tried_before)
        await email_messages.record_sent(
            conn,
            gmail_id=sent.id,
            thread_id=sent.thread_id,
            rfc_message_id=rfc_id,
            references=email_reply.references_for(addressing.references, addressing.in_reply_to),
            subject=email_reply.reply_subject(addressing.subject),
            address=addressing.to,
            message_id=reply.message_id,
            ticket_id=addressing.ticket_id,
        )
        if not await messages.mark_delivered(conn, reply.message_id, sent.id):
            raise InvalidEvent(f"no outbound message {reply.message_id} to deliver")
    return True


async def _send_once(
    mailbox: Gmail, raw: bytes, rfc_id: str, thread_id: str | None, tried_before: bool
) -> MessageRef:
    """Gmail's 429/5xx propagate (delivery retries); any other refusal dead-letters the reply."""
    try:
        if tried_before and (found := await mailbox.find_by_message_id(rfc_id)):
            return found
        return await mailbox.send(raw, thread_id)
    except GmailRefused as refused:
        raise InvalidEvent(str(refused)) from refused


async def _addressing(db: Queryable, reply: ReplyReady) -> Addressing:
    """The thread of the customer mail this reply answers; a mail of its own without one."""
    answered = await messages.answered(db, reply.message_id)
    inbound = await email_messages.of_message(db, answered) if answered is not None else None
    if inbound is not None and inbound.address:
        return Addressing(
            to=inbound.address,
            thread_id=inbound.thread_id,
            subject=inbound.subject,
            in_reply_to=inbound.rfc_message_id,
            references=inbound.references,
            ticket_id=inbound.ticket_id,
        )
    if not reply.customer.email:
        raise InvalidEvent(f"no email address to send the reply on {reply.ticket_number} to")
    ticket = await tickets.get_by_number(db, reply.ticket_number)
    subject = f"{reply.subject or 'Your request'} [{reply.ticket_number}]"
    return Addressing(
        reply.customer.email, None, subject, "", "", ticket.id if ticket is not None else None
    )


async def _with_status_link(
    db: Queryable, reply: ReplyReady, addressing: Addressing, settings: Settings
) -> str | None:
    """The reply, and under it the link to the ticket's status page when this thread opened it:
    for a rating request, the page's rating (None: no link, so no request worth sending)."""
    text = reply.parts[0]
    token = status_link_token(settings, addressing.thread_id) if addressing.thread_id else None
    ticket = await tickets.get(db, addressing.ticket_id) if addressing.ticket_id else None
    if token is None or ticket is None or ticket.access_token_hash != hash_token(token):
        return None if reply.rating == "request" else text
    number, base = ticket.ticket_number, settings.public_base_url
    if reply.rating == "request":
        return f"{text}\n\nRate {number}: {rating_url(number, token, 'email', base)}"
    return f"{text}\n\nYour request is {number}; follow it at {status_url(number, token, base)}"


async def _not_worth_sending(event_id: str, reply: ReplyReady) -> bool:
    """Handled without sending: the message is marked failed, the reply claimed."""
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            return False
        await messages.mark_failed(conn, reply.message_id)
    log.info("a rating request on %s not sent: no status link to rate at", reply.ticket_number)
    return True
