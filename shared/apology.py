"""What happens to a customer's message that could not be handled: it is kept, and they hear from us."""

from __future__ import annotations

import logging

from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import InvalidEvent, read_event
from events.models import MessageReceived, ReplyReady
from shared.agent import actions
from shared.agent.context import start_turn
from shared.db import dead_letters, get_pool, processed_events, tickets
from shared.db.pool import Connection
from shared.publisher import publish

CONSUMER = "dead-letter"
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
        if message is not None:
            await _keep_and_apologise(conn, message, event_id)
        elif event["type"] == catalog.REPLY_READY:
            await _escalate_undelivered(conn, event)


async def _keep_and_apologise(conn: Connection, message: MessageReceived, event_id: str) -> None:
    """The agent's own actions: the message on its ticket, a person takes over, an apology."""
    turn = await start_turn(conn, event_id, message)
    await actions.hand_over(
        turn, "agent_error", note="dead-lettered", message=APOLOGY, purpose="apology"
    )
    for topic, outgoing in turn.outbox:
        await publish(topic, outgoing)
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
