"""The agent's five tools: typed arguments, typed JSON results, logic in ``actions``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from agents import FunctionTool, RunContextWrapper, function_tool
from pydantic import BaseModel

from shared.agent import actions
from shared.agent.context import TurnContext
from shared.agent.reasons import EscalationReason

T = TypeVar("T")


class ToolResult(BaseModel):
    """A typed tool result that reaches the model as JSON (the SDK sends ``str(result)``)."""

    def __str__(self) -> str:
        return self.model_dump_json()


class Refused(ToolResult):
    refused: str


class TicketCreated(ToolResult):
    ticket_number: str
    status: str


class HistoryEntry(ToolResult):
    role: str
    channel: str
    ticket_number: str | None
    content: str
    created_at: str


class CustomerHistory(ToolResult):
    messages: list[HistoryEntry]


class Passage(ToolResult):
    title: str
    content: str
    score: float
    # what the customer asks about (``asked_about``) that this passage does not name
    unmentioned: list[str] = []


class SearchResults(ToolResult):
    passages: list[Passage]
    searches_left: int
    # what the customer's yes/no questions ask about ("Do you offer GPU instances?": GPU,
    # instances): a passage that names none of it does not answer, however close in topic
    asked_about: list[str] = []


class ResponseSent(ToolResult):
    ticket_number: str
    channel: str
    parts: int


class Escalated(ToolResult):
    ticket_number: str
    reason: str


async def _guarded(call: Callable[[], Awaitable[T]]) -> T | Refused:
    try:
        return await call()
    except actions.TicketFirst as exc:
        return Refused(refused=str(exc))


@function_tool(failure_error_function=None)
async def create_ticket(ctx: RunContextWrapper[TurnContext]) -> TicketCreated:
    """Open the support ticket for the customer's message. Always call this first."""
    ticket = await actions.open_ticket(ctx.context)
    return TicketCreated(ticket_number=ticket.ticket_number, status=ticket.status)


@function_tool(failure_error_function=None)
async def get_customer_history(ctx: RunContextWrapper[TurnContext]) -> CustomerHistory | Refused:
    """The customer's recent messages on every channel (web form, email, WhatsApp), newest first."""

    async def run() -> CustomerHistory:
        rows = await actions.customer_history(ctx.context)
        return CustomerHistory(messages=[HistoryEntry(**row) for row in rows])

    return await _guarded(run)


@function_tool(failure_error_function=None)
async def search_knowledge_base(
    ctx: RunContextWrapper[TurnContext], query: str
) -> SearchResults | Refused:
    """Search the product documentation. At most two searches per customer message.

    Args:
        query: What to look for, in the customer's words or as keywords.
    """

    async def run() -> SearchResults | Refused:
        turn = ctx.context
        found = await actions.search(turn, query)
        if found is None:
            return Refused(
                refused="no searches left for this message: answer or escalate (kb_miss)"
            )
        return SearchResults(
            passages=[
                Passage(
                    title=f.hit.title,
                    content=f.hit.content,
                    score=round(f.hit.score, 4),
                    unmentioned=list(f.unmentioned),
                )
                for f in found
            ],
            searches_left=turn.max_kb_searches - turn.searches,
            asked_about=list(turn.asked_about),
        )

    return await _guarded(run)


@function_tool(failure_error_function=None)
async def send_response(
    ctx: RunContextWrapper[TurnContext], message: str
) -> ResponseSent | Refused:
    """Send the reply on the customer's channel; greeting, signature and splitting are added for you.

    Args:
        message: The answer in plain sentences, without greeting or signature.
    """

    async def run() -> ResponseSent:
        turn = ctx.context
        parts = await actions.respond(turn, message)
        return ResponseSent(
            ticket_number=turn.ticket.ticket_number, channel=turn.message.channel, parts=len(parts)
        )

    return await _guarded(run)


@function_tool(failure_error_function=None)
async def escalate_to_human(
    ctx: RunContextWrapper[TurnContext], reason: EscalationReason, note: str | None = None
) -> Escalated | Refused:
    """Hand the ticket to a person. Then send the customer a short, polite handover message.

    Args:
        reason: Why a person must take over.
        note: A short note for the person taking over (no need to repeat the customer's words).
    """

    async def run() -> Escalated:
        turn = ctx.context
        kept = await actions.escalate(turn, reason, note)
        return Escalated(ticket_number=turn.ticket.ticket_number, reason=kept)

    return await _guarded(run)


ALL_TOOLS: list[FunctionTool] = [
    create_ticket,
    get_customer_history,
    search_knowledge_base,
    send_response,
    escalate_to_human,
]
