"""Dead letters for ops: what failed and why, and a replay once the cause is fixed.

A replay puts the original event (same id, error extensions dropped) back in the outbox and
publishes it. The claims the dead-letter function took on the event's behalf are released
first, so the consumer acts on it this time: the agent answers a message it was apologised
for, a sender delivers a reply it had given up on.
"""

from __future__ import annotations

from cloudevents.http import CloudEvent

from events import catalog
from shared.apology import CONSUMER as DEAD_LETTER
from shared.channels import sender_of
from shared.db import dead_letters, get_pool, outbox, processed_events
from shared.db.dead_letters import DeadLetter
from shared.db.processed_events import ANSWER
from shared.relay import Outgoing, publish_committed


class CannotReplay(ValueError):
    """No such dead letter, or one of a type that has no topic of ours."""


async def recent(limit: int = 50) -> list[DeadLetter]:
    pool = await get_pool()
    async with pool.acquire() as conn:
        return await dead_letters.recent(conn, limit)


async def replay(dead_letter_id: int) -> tuple[DeadLetter, bool]:
    """Re-publish a dead letter's event; True when the broker took it now (else the relay will)."""
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        dead = await dead_letters.get(conn, dead_letter_id)
        if dead is None:
            raise CannotReplay(f"no dead letter {dead_letter_id}")
        topic = catalog.TOPIC_OF.get(dead.event_type)
        if topic is None:
            raise CannotReplay(f"dead letter {dead_letter_id} is a {dead.event_type}: no topic")
        event = dead.original
        awaits = _awaited_claim(event)
        for consumer in (awaits, DEAD_LETTER):
            if consumer is not None:
                await processed_events.release(conn, consumer, dead.event_id, DEAD_LETTER)
        await outbox.restore(conn, topic, event, awaits)
        await dead_letters.mark_replayed(conn, dead_letter_id)
    published = await publish_committed([Outgoing(topic, event, awaits)])
    return dead, published == 1


def _awaited_claim(event: CloudEvent) -> str | None:
    if event["type"] == catalog.MESSAGE_RECEIVED:
        return ANSWER
    if event["type"] == catalog.REPLY_READY:
        return sender_of(str(event.get("channel")))
    return None


def render(rows: list[DeadLetter]) -> str:
    """A table for ops: what failed, where, and what was done about it. No message content."""
    lines = [f"{'ID':>5}  {'WHEN':19}  {'TYPE':24}  {'TICKET':10}  {'CODE':>4}  APOLOGY  REPLAYED"]
    for d in rows:
        replayed = f"{d.replay_count}× {d.replayed_at:%Y-%m-%d %H:%M}" if d.replayed_at else "-"
        lines.append(
            f"{d.id:>5}  {d.created_at:%Y-%m-%d %H:%M:%S}  "
            f"{d.event_type.removeprefix('io.digitalfte.support.'):24}  "
            f"{d.ticket_number or '-':10}  {d.error_code or '-':>4}  "
            f"{'yes' if d.apology_sent else 'no':7}  {replayed}"
        )
    if not rows:
        lines.append("(no dead letters)")
    return "\n".join(lines)
