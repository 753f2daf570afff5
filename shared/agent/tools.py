"""The agent's tools. Each works inside the turn's transaction; ``create_ticket`` must come first."""

from __future__ import annotations

from agents import RunContextWrapper, function_tool
from pydantic import BaseModel

from events import catalog
from events.envelope import derived_id, new_event
from events.models import ReplyReady
from shared.agent.context import TurnContext
from shared.agent.formatting import format_reply
from shared.db import messages, tickets

SOURCE = catalog.source_of("agent-runner")
TICKET_FIRST = "refused: call create_ticket before any other tool"


class ToolResult(BaseModel):
    """A typed tool result that reaches the model as JSON (the SDK sends ``str(result)``)."""

    def __str__(self) -> str:
        return self.model_dump_json()


class TicketCreated(ToolResult):
    ticket_number: str
    status: str


class ResponseSent(ToolResult):
    ticket_number: str
    channel: str
    parts: int


def _note(ctx: RunContextWrapper[TurnContext], tool: str) -> TurnContext:
    turn = ctx.context
    turn.tools_called.append(tool)
    return turn


@function_tool(failure_error_function=None)
async def create_ticket(ctx: RunContextWrapper[TurnContext]) -> TicketCreated:
    """Open (or reopen) the support ticket for the customer's message. Always call this first."""
    turn = _note(ctx, "create_ticket")
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
    return TicketCreated(ticket_number=turn.ticket.ticket_number, status=turn.ticket.status)


async def _channel_limit(turn: TurnContext) -> int:
    limit = await turn.conn.fetchval(
        "SELECT max_response_length FROM channel_configs WHERE channel = $1", turn.message.channel
    )
    return int(limit or 2000)


@function_tool(failure_error_function=None)
async def send_response(ctx: RunContextWrapper[TurnContext], message: str) -> ResponseSent | str:
    """Send the reply to the customer on the channel they used. Formatting is applied for you.

    Args:
        message: The answer in plain sentences, without greeting or signature.
    """
    turn = _note(ctx, "send_response")
    if turn.ticket is None:
        return TICKET_FIRST
    m = turn.message
    parts = format_reply(
        m.channel, message, customer_name=m.customer.name, limit=await _channel_limit(turn)
    )
    message_id = await messages.record(
        turn.conn,
        conversation_id=turn.conversation_id,
        ticket_id=turn.ticket.id,
        channel=m.channel,
        direction="outbound",
        role="agent",
        content="\n\n".join(parts),
        event_id=turn.event_id,
        delivery_status="pending",
    )
    if turn.escalation_reason is None:
        await tickets.set_status(turn.conn, turn.ticket.id, "answered")
    reply = ReplyReady(
        channel=m.channel,
        ticket_number=turn.ticket.ticket_number,
        message_id=str(message_id),
        customer=m.customer,
        parts=parts,
        subject=m.subject,
        thread_id=m.thread_id,
        in_reply_to=turn.event_id,
    )
    event = new_event(
        reply,
        source=SOURCE,
        partitionkey=m.customer.key,
        channel=m.channel,
        event_id=derived_id(turn.event_id, "reply"),
    )
    turn.outbox.append((catalog.TOPIC_OUTGOING, event))
    turn.replied = True
    return ResponseSent(
        ticket_number=turn.ticket.ticket_number, channel=m.channel, parts=len(parts)
    )


ALL_TOOLS = [create_ticket, send_response]
