"""The hard escalation rules as an Agents SDK input guardrail: it runs before the model does."""

from __future__ import annotations

from agents import (
    Agent,
    GuardrailFunctionOutput,
    RunContextWrapper,
    TResponseInputItem,
    input_guardrail,
)

from shared.agent.context import TurnContext
from shared.agent.guardrails import Assessment, assess
from shared.agent.rules import load_rules


@input_guardrail(name="hard_escalation_rules", run_in_parallel=False)
async def hard_escalation_rules(
    ctx: RunContextWrapper[TurnContext],
    agent: Agent[TurnContext],
    input: str | list[TResponseInputItem],
) -> GuardrailFunctionOutput:
    """Trips on pricing, refunds, legal, a request for a human, profanity, shouting, frustration.

    It reads the customer's own text from the turn, not the model's input, so nothing written in
    the message can reach or instruct the model when a rule applies. Frustration is a soft case:
    with a model that reads the conversation it does not trip; the model sees the score and its
    signals and decides.
    """
    turn = ctx.context
    verdict: Assessment = assess(turn.text, load_rules())
    turn.sentiment = verdict.sentiment
    turn.frustration = verdict.frustration
    trips = verdict.reason is not None and not (verdict.soft and turn.model_judges_soft_cases)
    return GuardrailFunctionOutput(output_info=verdict, tripwire_triggered=trips)
