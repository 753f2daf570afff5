"""What the agent's tools do, as plain functions: the tools and the hard-rule handover share them.

Every action runs inside the turn's transaction; everything but ``open_ticket`` refuses to act
before the ticket exists, which is how "ticket first" is enforced in code.
"""

from __future__ import annotations

import re
from typing import Any

from events import catalog
from events.envelope import derived_id, new_event
from events.models import ReplyReady, TicketEscalated
from shared.agent.context import TurnContext
from shared.agent.formatting import format_reply
from shared.agent.handover import handover_message
from shared.agent.reasons import ESCALATION_REASONS
from shared.config import get_settings
from shared.db import knowledge_base, messages, tickets
from shared.db.knowledge_base import SearchHit
from shared.kb.embeddings import embed_query_async

SOURCE = catalog.source_of("agent-runner")


class TicketFirst(RuntimeError):
    """A tool other than create_ticket ran before the ticket existed."""


def _require_ticket(turn: TurnContext) -> tickets.Ticket:
    if turn.ticket is None:
        raise TicketFirst("call create_ticket before any other tool")
    return turn.ticket


async def open_ticket(turn: TurnContext) -> tickets.Ticket:
    """Open the message's ticket (the intake's reserved number, or a new one) and file the message."""
    turn.tools_called.append("create_ticket")
    if turn.ticket is None:
        m = turn.message
        turn.ticket = await tickets.open_ticket(
            turn.conn,
            ticket_number=m.ticket_number,
            customer_id=turn.customer_id,
            conversation_id=turn.conversation_id,
            channel=m.channel,
            subject=m.subject,
            category=m.category,
            priority=m.priority,
            access_token_hash=m.access_token_hash,
        )
        await messages.record(
            turn.conn,
            conversation_id=turn.conversation_id,
            ticket_id=turn.ticket.id,
            channel=m.channel,
            direction="inbound",
            role="customer",
            content=m.content,
            event_id=turn.event_id,
            channel_message_id=m.channel_message_id,
        )
    return turn.ticket


async def customer_history(turn: TurnContext) -> list[dict[str, Any]]:
    turn.tools_called.append("get_customer_history")
    _require_ticket(turn)
    return await messages.history_of(turn.conn, turn.customer_id, get_settings().history_limit)


async def search(turn: TurnContext, query: str) -> list[SearchHit] | None:
    """Hybrid search of the knowledge base; None once this message has used its searches."""
    turn.tools_called.append("search_knowledge_base")
    _require_ticket(turn)
    if turn.searches >= turn.max_kb_searches:
        return None
    turn.searches += 1
    settings = get_settings()
    hits = await knowledge_base.hybrid_search(
        turn.conn,
        query,
        await embed_query_async(query),
        limit=settings.kb_search_limit,
        min_similarity=settings.kb_min_similarity,
    )
    turn.kb_hits += len(hits)
    if hits:
        turn.top_passage = hits[0].title
    return hits


async def _channel_limit(turn: TurnContext) -> int:
    limit = await turn.conn.fetchval(
        "SELECT max_response_length FROM channel_configs WHERE channel = $1", turn.message.channel
    )
    return int(limit or 2000)


async def respond(turn: TurnContext, text: str, purpose: str = "reply") -> list[str]:
    """Format for the channel, file the reply, and queue ``reply.ready`` (sent at commit)."""
    turn.tools_called.append("send_response")
    ticket = _require_ticket(turn)
    m = turn.message
    parts = format_reply(
        m.channel, _plain(text), customer_name=m.customer.name, limit=await _channel_limit(turn)
    )
    message_id = await messages.record(
        turn.conn,
        conversation_id=turn.conversation_id,
        ticket_id=ticket.id,
        channel=m.channel,
        direction="outbound",
        role="agent",
        content="\n\n".join(parts),
        event_id=turn.event_id,
        delivery_status="pending",
    )
    if turn.escalation_reason is None:
        await tickets.set_status(turn.conn, ticket.id, "answered")
    reply = ReplyReady(
        channel=m.channel,
        ticket_number=ticket.ticket_number,
        message_id=str(message_id),
        customer=m.customer,
        parts=parts,
        subject=m.subject,
        thread_id=m.thread_id,
        in_reply_to=turn.event_id,
    )
    turn.outbox.append(
        (
            catalog.TOPIC_OUTGOING,
            new_event(
                reply,
                source=SOURCE,
                partitionkey=m.customer.key,
                channel=m.channel,
                event_id=derived_id(turn.event_id, purpose),
            ),
        )
    )
    turn.replied = True
    return parts


async def escalate(turn: TurnContext, reason: str, note: str | None = None) -> str:
    """Hand the ticket to a person and queue ``ticket.escalated``; returns the reason kept."""
    turn.tools_called.append("escalate_to_human")
    ticket = _require_ticket(turn)
    reason = reason if reason in ESCALATION_REASONS else "agent_error"
    turn.escalation_reason = turn.escalation_reason or reason
    await tickets.set_status(turn.conn, ticket.id, "escalated", turn.escalation_reason)
    event = TicketEscalated(
        channel=turn.message.channel,
        ticket_number=ticket.ticket_number,
        reason=turn.escalation_reason,
        note=note,
        priority=ticket.priority,
    )
    turn.outbox.append(
        (
            catalog.TOPIC_OUTGOING,
            new_event(
                event,
                source=SOURCE,
                partitionkey=turn.message.customer.key,
                channel=turn.message.channel,
                event_id=derived_id(turn.event_id, "escalated"),
            ),
        )
    )
    return turn.escalation_reason


async def hand_over(
    turn: TurnContext,
    reason: str,
    *,
    note: str = "hard rule",
    message: str | None = None,
    purpose: str = "reply",
) -> None:
    """A person takes over, through the same actions as the tools, in the required order."""
    await open_ticket(turn)
    await escalate(turn, reason, note=note)
    await respond(turn, message or handover_message(reason), purpose=purpose)


_MARKDOWN = re.compile(r"(\*\*|__|`|^#+\s*)", re.MULTILINE)


def _plain(text: str) -> str:
    """Replies are plain text on every channel: drop markdown emphasis and heading marks."""
    return _MARKDOWN.sub("", text).strip()
