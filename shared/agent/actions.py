"""What the agent's tools do, as plain functions: the tools and the hard-rule handover share them.

Actions read through the turn's pool and plan their writes on the turn (see ``context``);
everything but ``open_ticket`` refuses to act before it ran, which is how "ticket first" is
enforced in code.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from typing import Any

from events import catalog
from events.envelope import derived_id, new_event
from events.models import ReplyReady, TicketEscalated
from shared.agent.context import PlannedReply, TurnContext
from shared.agent.formatting import format_reply
from shared.agent.handover import handover_message
from shared.agent.reasons import ESCALATION_REASONS
from shared.agent.rules import load_rules
from shared.channels import sender_of
from shared.config import get_settings
from shared.db import channel_configs, knowledge_base, messages, tickets
from shared.db.knowledge_base import SearchHit
from shared.kb.answerability import asked_about, unmentioned
from shared.kb.embeddings import embed_passages_async
from shared.kb.questions import question_sentences
from shared.relay import Outgoing

SOURCE = catalog.source_of("agent-runner")
REOPENS = ("received", "answered", "resolved")  # a person's ticket stays theirs
ATTACHMENT_NOTE = "I can't open attachments, so please tell me in words what yours shows."


class TicketFirst(RuntimeError):
    """A tool other than create_ticket ran before the ticket was opened."""


def _require_ticket(turn: TurnContext) -> tickets.Ticket:
    if not turn.opened:
        raise TicketFirst("call create_ticket before any other tool")
    return turn.ticket


def _plan_status(turn: TurnContext, status: str) -> None:
    turn.ticket = dataclasses.replace(
        turn.ticket,
        status=status,
        escalation_reason=turn.escalation_reason or turn.ticket.escalation_reason,
    )


async def open_ticket(turn: TurnContext) -> tickets.Ticket:
    """Open the ticket the intake filed the message on (a new message reopens an answered one)."""
    turn.tools_called.append("create_ticket")
    if not turn.opened:
        turn.opened = True
        if turn.ticket.status in REOPENS:
            _plan_status(turn, "open")
    return turn.ticket


async def customer_history(turn: TurnContext) -> list[dict[str, Any]]:
    turn.tools_called.append("get_customer_history")
    _require_ticket(turn)
    return await messages.history_of(turn.db, turn.customer_id, get_settings().history_limit)


@dataclasses.dataclass(frozen=True)
class Found:
    """A passage the search found, and what the customer asks about that it does not name."""

    hit: SearchHit
    unmentioned: tuple[str, ...] = ()


async def search(turn: TurnContext, query: str) -> list[Found] | None:
    """Hybrid search of the knowledge base; None once this message has used its searches.

    Passages that name everything the customer's yes/no questions ask about come first, in
    the search's order (``shared.kb.answerability``); the others follow, with what they lack.
    """
    turn.tools_called.append("search_knowledge_base")
    _require_ticket(turn)
    if turn.searches >= turn.max_kb_searches:
        return None
    turn.searches += 1
    settings = get_settings()
    # One forward pass embeds the query and its question sentences, which rerank the hits.
    query_embedding, *question_embeddings = await embed_passages_async(
        [query, *question_sentences(query)]
    )
    hits = await knowledge_base.hybrid_search(
        turn.db,
        query,
        query_embedding,
        limit=settings.kb_search_limit,
        min_similarity=settings.kb_min_similarity,
        question_embeddings=question_embeddings,
    )
    turn.asked_about = asked_about(turn.text, load_rules().answerability)
    found = sorted(
        (Found(h, unmentioned(turn.asked_about, f"{h.title}\n{h.content}")) for h in hits),
        key=lambda f: bool(f.unmentioned),
    )
    turn.kb_hits += len(found)
    turn.found.extend(f.hit.title for f in found)
    if found:
        turn.top_passage = found[0].hit.title
        turn.unmentioned = found[0].unmentioned
    else:
        turn.unmentioned = turn.asked_about
    return found


async def respond(turn: TurnContext, text: str, purpose: str = "reply") -> list[str]:
    """Format for the channel and plan the reply and its ``reply.ready`` (sent after commit)."""
    turn.tools_called.append("send_response")
    ticket = _require_ticket(turn)
    m = turn.message
    limit = await channel_configs.max_response_length(turn.db, m.channel)
    text = _plain(text)
    if m.attachments and purpose == "reply":
        text = f"{text}\n\n{ATTACHMENT_NOTE}"
    parts = format_reply(m.channel, text, customer_name=m.customer.name, limit=limit)
    event_id = derived_id(turn.event_id, purpose)
    message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"{event_id}/message")
    turn.replies.append(PlannedReply(message_id, event_id, "\n\n".join(parts)))
    if turn.escalation_reason is None:
        _plan_status(turn, "answered")
    reply = ReplyReady(
        channel=m.channel,
        ticket_number=ticket.ticket_number,
        message_id=message_id,
        customer=m.customer,
        parts=parts,
        subject=m.subject,
        thread_id=m.thread_id,
        in_reply_to=turn.event_id,
        apology=purpose == "apology",
    )
    event = new_event(
        reply, source=SOURCE, partitionkey=m.customer.key, channel=m.channel, event_id=event_id
    )
    turn.outgoing.append(Outgoing(catalog.TOPIC_OUTGOING, event, awaits=sender_of(m.channel)))
    turn.replied = True
    return parts


async def escalate(turn: TurnContext, reason: str, note: str | None = None) -> str:
    """Hand the ticket to a person and queue ``ticket.escalated``; returns the reason kept."""
    turn.tools_called.append("escalate_to_human")
    ticket = _require_ticket(turn)
    reason = reason if reason in ESCALATION_REASONS else "agent_error"
    turn.escalation_reason = turn.escalation_reason or reason
    _plan_status(turn, "escalated")
    event = TicketEscalated(
        channel=turn.message.channel,
        ticket_number=ticket.ticket_number,
        reason=turn.escalation_reason,
        note=note,
        priority=ticket.priority,
    )
    escalated = new_event(
        event,
        source=SOURCE,
        partitionkey=turn.message.customer.key,
        channel=turn.message.channel,
        event_id=derived_id(turn.event_id, "escalated"),
    )
    turn.outgoing.append(Outgoing(catalog.TOPIC_OUTGOING, escalated))
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
