"""One incoming message, answered once: the agent's turn, then its effects in one transaction."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import asyncpg
from agents import InputGuardrailTripwireTriggered, Model, RunConfig, Runner
from cloudevents.http import CloudEvent

from events.envelope import read_event
from events.models import MessageReceived
from shared.agent import actions
from shared.agent.context import TurnContext, start_turn
from shared.agent.effects import write_effects
from shared.agent.guardrails import assess
from shared.agent.handover import APOLOGY, handover_message
from shared.agent.models import model_name, select_model
from shared.agent.offline_model import OfflineModel
from shared.agent.rules import load_rules
from shared.agent.support_agent import build_agent
from shared.agent.timing import ModelTiming
from shared.config import get_settings
from shared.db import agent_capacity, agent_metrics, get_pool, processed_events, tickets
from shared.db.processed_events import ANSWER
from shared.kb import embeddings
from shared.metrics import escalations_committed
from shared.relay import publish_committed

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
    found: tuple[str, ...] = ()  # titles of the best passages of every search, in order
    with_staff: bool = False  # the ticket is a person's now: the message waits for them


async def handle_message(event: CloudEvent) -> Outcome:
    """Run the agent on a ``message.received`` event, then commit what it did, or nothing.

    The model runs with no transaction open. The effects, the ``answer`` claim and the outbox
    rows commit together; the events are published after the commit. Whoever claims the answer
    first wins: a duplicate delivery, or the dead-letter function's apology, makes this a no-op.
    """
    message = read_event(event, MessageReceived)
    event_id = str(event["id"])
    pool = await get_pool()
    if await processed_events.is_claimed(pool, ANSWER, event_id):
        log.info("event %s already answered", event_id)
        return Outcome(duplicate=True)
    if await _with_staff(pool, message):
        async with pool.acquire() as conn, conn.transaction():
            if not await processed_events.claim(conn, ANSWER, event_id, by=CONSUMER):
                return Outcome(duplicate=True)
        log.info("event %s: ticket %s is with staff", event_id, message.ticket_number)
        return Outcome(duplicate=False, ticket_number=message.ticket_number, with_staff=True)
    await _wait_for_capacity(pool)
    if not embeddings.is_loaded():  # a fresh process: the load is no part of the model's time
        await asyncio.to_thread(embeddings.warm_up)
    started = time.perf_counter()
    turn = await start_turn(pool, event_id, message, load_rules().max_kb_searches)
    turn.model_judges_soft_cases = not isinstance(get_model(), OfflineModel)
    await _run_agent(turn)
    if turn.tools_called[:1] != ["create_ticket"]:
        raise RuntimeError("the agent did not open the ticket first")
    latency_ms = (time.perf_counter() - started) * 1000
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, ANSWER, event_id, by=CONSUMER):
            log.info("event %s answered meanwhile: this turn is dropped", event_id)
            return Outcome(duplicate=True)
        await write_effects(conn, turn)
        await agent_metrics.record(
            conn,
            event_id=event_id,
            ticket_id=turn.ticket.id,
            channel=message.channel,
            model=model_name(get_model()),
            latency_ms=latency_ms,
            tools_called=turn.tools_called,
            escalation_reason=turn.escalation_reason,
            sentiment=turn.sentiment,
            frustration=None if turn.frustration is None else turn.frustration.score,
            frustration_signals=None if turn.frustration is None else turn.frustration.signals,
            asked_about=turn.asked_about,
            unmentioned=turn.unmentioned,
        )
    escalations_committed(o.event for o in turn.outgoing)
    await publish_committed(turn.outgoing)
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
        found=tuple(turn.found),
    )


async def _with_staff(pool: asyncpg.Pool, message: MessageReceived) -> bool:
    """A customer writing again on a ticket handed to a person reaches that person, not the
    agent (``ESCALATED_FOLLOW_UPS=agent`` gives it to the agent again)."""
    if get_settings().escalated_follow_ups != "staff":
        return False
    return await tickets.with_staff_since(pool, message.ticket_number, message.message_id)


class Overloaded(RuntimeError):
    """No agent run free in time: answered 5xx, so the delivery retries it later."""


async def _wait_for_capacity(pool: asyncpg.Pool) -> None:
    """Wait for a run from the system-wide budget (AGENT_RUNS_PER_MINUTE), within the bound.

    The message waits its turn here, and the ones behind it wait in Kafka: a burst is spread
    out, not dropped. What still finds no run when the handler's time is nearly up is retried.
    """
    settings = get_settings()
    if settings.agent_runs_per_minute <= 0:
        return
    rate = settings.agent_runs_per_minute / 60.0
    bound = max(0.0, settings.handler_timeout_seconds - settings.model_timeout_seconds - 5.0)
    deadline = time.monotonic() + bound
    while True:
        async with pool.acquire() as conn:
            waiting = await agent_capacity.take(conn, rate, settings.agent_runs_burst)
        if waiting == 0.0:
            return
        if time.monotonic() + waiting > deadline:
            raise Overloaded(f"no agent run free within {bound:.0f}s")
        await asyncio.sleep(waiting)


async def _run_agent(turn: TurnContext) -> None:
    """The Runner, bounded in turns and time; the hard rules, a silent or a slow model hand over."""
    timeout = get_settings().model_timeout_seconds
    try:
        await asyncio.wait_for(
            Runner.run(
                build_agent(),
                _model_input(turn),
                context=turn,
                max_turns=MAX_TURNS,
                run_config=RunConfig(model=get_model(), tracing_disabled=True),
                hooks=ModelTiming(model_name(get_model())),
            ),
            timeout=timeout,
        )
    except InputGuardrailTripwireTriggered as tripped:
        reason = tripped.guardrail_result.output.output_info.reason
        await actions.hand_over(turn, reason)
        return
    except TimeoutError:
        log.warning("event %s: the model gave no answer within %.1fs", turn.event_id, timeout)
        if not turn.replied:
            await actions.hand_over(
                turn, "agent_error", note="the model did not answer in time", message=APOLOGY
            )
        return
    if not turn.opened:
        raise RuntimeError("the agent finished without opening a ticket")
    if not turn.replied:  # the model stopped without answering: a person takes over
        await actions.escalate(turn, "agent_error", note="the agent gave no answer")
        await actions.respond(turn, handover_message("agent_error"))


def _model_input(turn: TurnContext) -> str:
    """The message as the model reads it; a model that judges soft cases also sees frustration.

    The input is built before the Runner starts its guardrail, so the rules are applied here too
    (a few milliseconds, and only for such a model).
    """
    m = turn.message
    header = f"Channel: {m.channel}\n" + (f"Subject: {m.subject}\n" if m.subject else "")
    if turn.model_judges_soft_cases:
        verdict = assess(turn.text, load_rules())
        header += (
            f"Frustration: {verdict.frustration.score:.2f} ({verdict.frustration.explain()})\n"
        )
    return f"{header}\n{m.content}"
