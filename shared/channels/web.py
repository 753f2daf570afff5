"""The web channel's sender: the reply is already in the ticket thread; mark it delivered."""

from __future__ import annotations

from cloudevents.http import CloudEvent

from events.envelope import InvalidEvent, read_event
from events.models import ReplyReady
from shared.channels import sender_of
from shared.db import get_pool, messages, processed_events

CONSUMER = sender_of("web_form")


async def deliver_web_reply(event: CloudEvent) -> bool:
    """True when delivered now, False when already delivered (or given up on and apologised for)."""
    reply = read_event(event, ReplyReady)
    if reply.channel != "web_form":
        raise InvalidEvent(f"send-web handles web_form replies, not {reply.channel}")
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, str(event["id"])):
            return False
        if not await messages.mark_delivered(conn, reply.message_id):
            raise InvalidEvent(f"no outbound message {reply.message_id} to deliver")
    return True
