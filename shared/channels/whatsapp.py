"""The WhatsApp sender: a ``reply.ready`` → its parts through Twilio, in order, each once.

Twilio's Messages API has no idempotency key, so "once" is ours to keep. Each part is written
down ('sending') and committed *before* it is sent, and its SID is committed right after. A
redelivered event skips parts that have a SID. A part written down without one may have been
sent by an attempt that died between Twilio's answer and our commit; before sending it again
the sender looks for it: the status callback may have brought its SID already (the callback
URL names the part), else Twilio's list of recent messages to that number is searched for
it (same body, created since the attempt, a SID no part holds yet). One delivery of a reply
runs at a time (a Postgres session lock), so two never race over the same part.

Twilio's 429 and 5xx (and no answer) raise: the delivery retries. A permanent refusal is a
dead letter with Twilio's code. Outside WhatsApp's 24-hour window (known from the customer's
last message, or Twilio's 63016) the configured template reopens the conversation, or the
ticket goes to a person. A number that opted out (STOP) is not sent to.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from cloudevents.http import CloudEvent

from events.envelope import InvalidEvent, read_event
from events.models import ReplyReady
from shared.channels import sender_of, twilio_api
from shared.channels.twilio_api import OUTSIDE_WINDOW, TwilioRefused
from shared.channels.whatsapp_status import WINDOW_CLOSED, callback_url
from shared.config import get_settings
from shared.db import get_pool, processed_events, tickets, whatsapp, whatsapp_parts
from shared.db.pool import Connection
from shared.metrics import escalated

CONSUMER = sender_of("whatsapp")
OPTED_OUT = "opted_out"
TEMPLATE_PART = 0
CLOCK_SKEW = timedelta(seconds=60)  # between our clock and Twilio's, when matching a part
log = logging.getLogger(__name__)


class DeliveryBusy(RuntimeError):
    """Another delivery of this reply is running: answered 5xx, so this one retries later."""


class _GivenUp(Exception):
    """The dead-letter function took the reply's claim meanwhile: send nothing more."""


async def deliver_whatsapp_reply(event: CloudEvent) -> bool:
    """True when this delivery finished the reply; False when it was already done."""
    reply = read_event(event, ReplyReady)
    if reply.channel != "whatsapp":
        raise InvalidEvent(f"send-whatsapp handles whatsapp replies, not {reply.channel}")
    if not reply.customer.phone:
        raise InvalidEvent("the reply's customer has no phone number")
    event_id = str(event["id"])
    pool = await get_pool()
    if await processed_events.is_claimed(pool, CONSUMER, event_id):
        return False
    async with pool.acquire() as lock, whatsapp_parts.reply_lock(lock, reply.message_id) as held:
        if not held:
            raise DeliveryBusy("another delivery of this reply is running")
        try:
            outcome = await _deliver(reply, event_id)
        except _GivenUp:
            return False
    return await _finish(reply, event_id, outcome)


async def _deliver(reply: ReplyReady, event_id: str) -> str | None:
    """Send what is left to send; None when the parts went out, else why not."""
    assert reply.customer.phone is not None
    state = await whatsapp.contact(await get_pool(), reply.customer.phone)
    if state.opted_out:
        return OPTED_OUT
    if not _within_window(state.last_inbound_at):  # a rating request reopens no conversation
        return WINDOW_CLOSED if reply.rating else await _outside_window(reply, event_id)
    for number, body in enumerate(reply.parts, start=1):
        try:
            await _send_part(reply, event_id, number, body)
        except TwilioRefused as refused:
            if refused.code == OUTSIDE_WINDOW:
                await _record_failure(reply.message_id, number, OUTSIDE_WINDOW)
                return await _outside_window(reply, event_id)
            if refused.retryable:
                raise
            await _record_failure(reply.message_id, number, refused.code or 0)
            raise InvalidEvent(f"Twilio refused part {number}: {refused}") from refused
    return None


def _within_window(last_inbound_at: datetime | None) -> bool:
    hours = get_settings().whatsapp_window_hours
    return last_inbound_at is not None and (
        datetime.now(UTC) - last_inbound_at < timedelta(hours=hours)
    )


async def _outside_window(reply: ReplyReady, event_id: str) -> str:
    """Reopen the conversation with the approved template, if there is one."""
    template = get_settings().twilio_whatsapp_template_sid
    if not template:
        return WINDOW_CLOSED
    try:
        await _send_part(reply, event_id, TEMPLATE_PART, "", content_sid=template)
    except TwilioRefused as refused:
        if refused.retryable:
            raise
        raise InvalidEvent(f"Twilio refused the template: {refused}") from refused
    return f"{OUTSIDE_WINDOW}: template sent"


async def _send_part(
    reply: ReplyReady, event_id: str, number: int, body: str, content_sid: str | None = None
) -> None:
    assert reply.customer.phone is not None
    to = f"whatsapp:{reply.customer.phone}"
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if await processed_events.is_claimed(conn, CONSUMER, event_id):
            raise _GivenUp
        part, fresh = await whatsapp_parts.intend(conn, reply.message_id, number, body, content_sid)
    if part.sid is not None:
        return  # an earlier delivery sent it
    if not fresh and await _found_sent(part, to):
        return
    callback = callback_url(get_settings().public_base_url, reply.message_id, number)
    sent = await twilio_api.send(to, body, callback, content_sid)
    async with pool.acquire() as conn, conn.transaction():
        await whatsapp_parts.record_sid(conn, reply.message_id, number, sent.sid, sent.status)
        await whatsapp_parts.summarise(conn, reply.message_id)


async def _found_sent(part: whatsapp_parts.Part, to: str) -> bool:
    """Whether an earlier attempt sent this part after all; if so its SID is recorded now."""
    pool = await get_pool()
    again = await whatsapp_parts.part_of(pool, part.message_id, part.part)
    if again is not None and again.sid is not None:
        return True  # its status callback came
    since = part.attempted_at - CLOCK_SKEW
    candidates = [
        m
        for m in await twilio_api.recent(to)
        if m.body == part.body and (m.created is None or m.created >= since)
    ]
    held = await whatsapp_parts.known_sids(pool, [m.sid for m in candidates])
    match = next((m for m in reversed(candidates) if m.sid not in held), None)  # oldest first
    if match is None:
        return False
    log.info("part %s of a reply was sent by an earlier attempt: recorded", part.part)
    async with pool.acquire() as conn, conn.transaction():
        await whatsapp_parts.record_sid(conn, part.message_id, part.part, match.sid, match.status)
        await whatsapp_parts.summarise(conn, part.message_id)
    return True


async def _record_failure(message_id: UUID, number: int, code: int) -> None:
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        await whatsapp_parts.record_failure(conn, message_id, number, code)
        await whatsapp_parts.summarise(conn, message_id)


async def _finish(reply: ReplyReady, event_id: str, not_sent: str | None) -> bool:
    """Take the claim with the reply's final state: sent, or why it was not."""
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            return False
        if not_sent is not None:
            await _not_sent(conn, reply, not_sent)
    if not_sent == WINDOW_CLOSED:
        escalated(WINDOW_CLOSED, "whatsapp")
    return True


async def _not_sent(conn: Connection, reply: ReplyReady, reason: str) -> None:
    """The answer did not go out: failed, with why; a closed window with no template escalates."""
    await whatsapp_parts.mark_not_sent(conn, reply.message_id, reason)
    if reason == WINDOW_CLOSED and reply.rating is None:  # a resolved ticket stays resolved
        ticket = await tickets.get_by_number(conn, reply.ticket_number)
        if ticket is not None:
            await tickets.set_status(conn, ticket.id, "escalated", WINDOW_CLOSED)
