"""One incoming message, handled once: identity, conversation, the agent's turn, the reply."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from agents import Model, RunConfig, Runner
from cloudevents.http import CloudEvent

from events.envelope import read_event
from events.models import MessageReceived
from shared.agent.context import TurnContext
from shared.agent.models import model_name, select_model
from shared.agent.support_agent import build_agent
from shared.config import get_settings
from shared.db import conversations, customers, get_pool, processed_events
from shared.publisher import publish

CONSUMER = "agent-runner"
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


async def handle_message(event: CloudEvent) -> Outcome:
    """Run the agent on a ``message.received`` event; effects commit together or not at all.

    Replies are published before the transaction commits, with ids derived from the incoming
    event, so a crash between the two produces a redelivery that emits the same ids again.
    """
    message = read_event(event, MessageReceived)
    event_id = str(event["id"])
    started = time.perf_counter()
    model = get_model()
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await processed_events.claim(conn, CONSUMER, event_id):
            log.info("event %s already handled", event_id)
            return Outcome(duplicate=True)
        customer_id = await customers.resolve_customer(
            conn,
            email=message.customer.email,
            phone=message.customer.phone,
            name=message.customer.name,
        )
        conversation_id = await conversations.open_or_resume(conn, customer_id, message.channel)
        turn = TurnContext(
            conn=conn,
            event_id=event_id,
            message=message,
            customer_id=customer_id,
            conversation_id=conversation_id,
        )
        await Runner.run(
            build_agent(),
            message.content,
            context=turn,
            max_turns=10,
            run_config=RunConfig(model=model, tracing_disabled=True),
        )
        if turn.ticket is None or not turn.tools_called or turn.tools_called[0] != "create_ticket":
            raise RuntimeError("the agent did not open the ticket first")
        for topic, reply in turn.outbox:
            await publish(topic, reply)
        await conn.execute(
            """INSERT INTO agent_metrics (event_id, ticket_id, channel, model, latency_ms, tools_called,
                                          escalated, escalation_reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            event_id,
            turn.ticket.id,
            message.channel,
            model_name(model),
            (time.perf_counter() - started) * 1000,
            turn.tools_called,
            turn.escalation_reason is not None,
            turn.escalation_reason,
        )
    log.info(
        "event %s handled: ticket %s, tools %s",
        event_id,
        turn.ticket.ticket_number,
        turn.tools_called,
    )
    return Outcome(
        duplicate=False,
        ticket_number=turn.ticket.ticket_number,
        tools_called=tuple(turn.tools_called),
    )
