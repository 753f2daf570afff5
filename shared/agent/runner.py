"""One incoming message, handled once: identity, conversation, the agent's turn, the reply."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from agents import InputGuardrailTripwireTriggered, Model, RunConfig, Runner
from cloudevents.http import CloudEvent

from events.envelope import read_event
from events.models import MessageReceived
from shared.agent import actions
from shared.agent.context import TurnContext, start_turn
from shared.agent.handover import handover_message
from shared.agent.models import model_name, select_model
from shared.agent.rules import load_rules
from shared.agent.support_agent import build_agent
from shared.config import get_settings
from shared.db import get_pool, processed_events
from shared.db.pool import Connection
from shared.publisher import publish

CONSUMER = "agent-runner"
MAX_TURNS = 12
log = logging.getLogger(__name__)

_model: Model | None = None


def get_model() -> Model:
    global _model
    if _model is None:
        _model = select_model(get_settings())
    return _model


@dataclass(frozen=True)
class Outcome:
    duplicate: bool
    ticket_number: str | None = None
    tools_called: tuple[str, ...] = ()
    escalation_reason: str | None = None
    kb_hits: int = 0
    top_passage: str | None = None
    latency_ms: float = 0.0


async def handle_message(event: CloudEvent) -> Outcome:
    """Run the agent on a ``message.received`` event; effects commit together or not at all.

    Replies are published before the transaction commits, with ids derived from the incoming
    event, so a crash between the two produces a redelivery that emits the same ids again.
    """
    message = read_event(event, MessageReceived)
    event_id = str(event["id"])
    started = time.perf_counter()
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            log.info("event %s already handled", event_id)
            return Outcome(duplicate=True)
        turn = await start_turn(conn, event_id, message, load_rules().max_kb_searches)
        await _run_agent(turn)
        if turn.ticket is None or turn.tools_called[:1] != ["create_ticket"]:
            raise RuntimeError("the agent did not open the ticket first")
        for topic, outgoing in turn.outbox:
            await publish(topic, outgoing)
        latency_ms = (time.perf_counter() - started) * 1000
        await _record_metrics(conn, turn, latency_ms)
    log.info(
        "event %s handled by %s: ticket %s, tools %s, escalated %s",
        event_id,
        model_name(get_model()),
        turn.ticket.ticket_number,
        turn.tools_called,
        turn.escalation_reason,
    )
    return Outcome(
        duplicate=False,
        ticket_number=turn.ticket.ticket_number,
        tools_called=tuple(turn.tools_called),
        escalation_reason=turn.escalation_reason,
        kb_hits=turn.kb_hits,
        top_passage=turn.top_passage,
        latency_ms=latency_ms,
    )


async def _run_agent(turn: TurnContext) -> None:
    """The Runner, bounded in turns and time; the hard rules and a silent model both hand over."""
    model = get_model()
    try:
        await asyncio.wait_for(
            Runner.run(
                build_agent(),
                _model_input(turn),
                context=turn,
                max_turns=MAX_TURNS,
                run_config=RunConfig(model=model, tracing_disabled=True),
            ),
            timeout=get_settings().agent_timeout_seconds,
        )
    except InputGuardrailTripwireTriggered as tripped:
        reason = tripped.guardrail_result.output.output_info.reason
        await actions.hand_over(turn, reason)
        return
    if turn.ticket is None:
        raise RuntimeError("the agent finished without opening a ticket")
    if not turn.replied:  # the model stopped without answering: a person takes over
        await actions.escalate(turn, "agent_error", note="the agent gave no answer")
        await actions.respond(turn, handover_message("agent_error"))


def _model_input(turn: TurnContext) -> str:
    m = turn.message
    header = f"Channel: {m.channel}\n" + (f"Subject: {m.subject}\n" if m.subject else "")
    return f"{header}\n{m.content}"


async def _record_metrics(conn: Connection, turn: TurnContext, latency_ms: float) -> None:
    assert turn.ticket is not None
    await conn.execute(
        """INSERT INTO agent_metrics (event_id, ticket_id, channel, model, latency_ms, tools_called,
                                      escalated, escalation_reason, sentiment)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        turn.event_id,
        turn.ticket.id,
        turn.message.channel,
        model_name(get_model()),
        latency_ms,
        turn.tools_called,
        turn.escalation_reason is not None,
        turn.escalation_reason,
        turn.sentiment,
    )
