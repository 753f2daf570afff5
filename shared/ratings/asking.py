"""Asking for a rating when a person resolves a ticket: once per ticket and channel."""

from __future__ import annotations

import uuid

from events import catalog
from shared.db import ratings, staff_queue
from shared.db.pool import Connection
from shared.db.tickets import Ticket
from shared.ratings.wording import request_text
from shared.relay import Outgoing
from shared.ticket_replies import plan_reply

SOURCE = catalog.source_of("staff-api")
#: Channels on which we send the question; the web status page asks by itself.
SENT_ON = ("email", "whatsapp")


async def ask_for_rating(conn: Connection, ticket: Ticket) -> Outgoing | None:
    """The question, on the channel the customer last wrote on, when they were not asked there
    before (resolving again, or a retried request, asks nothing); inside the caller's
    transaction, which keeps the event in the outbox."""
    answered = await staff_queue.latest_inbound(conn, ticket.id)
    if answered is None or ticket.customer_id is None or answered["channel"] not in SENT_ON:
        return None
    channel = answered["channel"]
    event_id = str(uuid.uuid4())
    if not await ratings.ask(conn, ticket.id, channel, event_id):
        return None
    outgoing, _ = await plan_reply(
        conn,
        ticket,
        answered,
        request_text(channel, ticket.ticket_number),
        source=SOURCE,
        role="system",
        rating="request",
        event_id=event_id,
    )
    return outgoing
