"""What happens to a message that could not be handled: it is kept, and the customer hears from us.

The dead-letter function records every dead letter once. For a customer's message it takes the
message's ``answer`` claim, so the agent's reply and our apology exclude each other whichever
comes first; for an undeliverable reply it takes the sender's claim, so a late delivery and the
apology exclude each other too. An apology that cannot be delivered is not apologised for.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import InvalidEvent, read_event
from events.models import EventData, MessageReceived, ReplyReady
from shared.agent import actions
from shared.agent.context import start_turn
from shared.agent.effects import write_effects
from shared.agent.handover import APOLOGY
from shared.channels import sender_of
from shared.db import dead_letters, get_pool, messages, outbox, processed_events, tickets
from shared.db.pool import Connection
from shared.db.processed_events import ANSWER
from shared.metrics import dead_letter_recorded, escalations_committed
from shared.relay import Outgoing, publish_committed

CONSUMER = "dead-letter"
T = TypeVar("T", bound=EventData)
log = logging.getLogger(__name__)


async def handle_dead_letter(event: CloudEvent) -> None:
    """Record the dead letter; apologise for what it means the customer did not get."""
    event_id = str(event["id"])
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            return
        log.warning(
            "dead letter %s (%s), error code %s",
            event_id,
            event["type"],
            event.get("knativeerrorcode"),
        )
        if event["type"] == catalog.MESSAGE_RECEIVED:
            outgoing = await _unanswered_message(conn, event)
        elif event["type"] == catalog.REPLY_READY:
            outgoing = await _undelivered_reply(conn, event)
        else:
            await dead_letters.record(conn, event, None)
            outgoing = []
    dead_letter_recorded(event)
    escalations_committed(o.event for o in outgoing)
    await publish_committed(outgoing)


async def _unanswered_message(conn: Connection, event: CloudEvent) -> list[Outgoing]:
    message = _valid(event, MessageReceived)
    await dead_letters.record(conn, event, message.ticket_number if message else None)
    if not await processed_events.claim(conn, ANSWER, str(event["id"]), by=CONSUMER):
        return []  # the agent's answer committed after all
    return await _apologise(conn, event, message) if message else []


async def _undelivered_reply(conn: Connection, event: CloudEvent) -> list[Outgoing]:
    reply = _valid(event, ReplyReady)
    await dead_letters.record(conn, event, reply.ticket_number if reply else None)
    if reply is None:
        return []
    if not await processed_events.claim(conn, sender_of(reply.channel), str(event["id"]), CONSUMER):
        return []  # the sender delivered it after all
    await messages.mark_failed(conn, reply.message_id)
    if reply.rating is not None:  # a rating request or thanks: no apology, the ticket stays
        return []
    original = None if reply.apology else await outbox.event(conn, reply.in_reply_to)
    message = _valid(original, MessageReceived) if original is not None else None
    if message is None:  # nothing more we can say on this channel: a person takes over
        ticket = await tickets.get_by_number(conn, reply.ticket_number)
        if ticket is not None:
            await tickets.set_status(conn, ticket.id, "escalated", "agent_error")
        return []
    return await _apologise(conn, event, message, answering=reply.in_reply_to)


async def _apologise(
    conn: Connection, dead: CloudEvent, message: MessageReceived, answering: str | None = None
) -> list[Outgoing]:
    """The agent's own actions: the ticket goes to a person and the customer gets an apology."""
    try:
        turn = await start_turn(conn, answering or str(dead["id"]), message)
    except InvalidEvent:
        return []  # no ticket holds the message: recorded, nothing to answer on
    await actions.hand_over(
        turn, "agent_error", note="dead-lettered", message=APOLOGY, purpose="apology"
    )
    await write_effects(conn, turn)
    await dead_letters.mark_apology_sent(conn, str(dead["id"]))
    return turn.outgoing


def _valid(event: CloudEvent, model: type[T]) -> T | None:
    try:
        return read_event(event, model)
    except InvalidEvent:
        return None
