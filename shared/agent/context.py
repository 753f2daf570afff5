"""What one agent turn knows and accumulates while the Runner calls its tools."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from cloudevents.http import CloudEvent

from events.models import MessageReceived
from shared.db import conversations, customers
from shared.db.pool import Connection
from shared.db.tickets import Ticket


@dataclass
class TurnContext:
    """Everything the tools share for one incoming message, inside one database transaction."""

    conn: Connection
    event_id: str
    message: MessageReceived
    customer_id: UUID
    conversation_id: UUID
    max_kb_searches: int = 2
    sentiment: float | None = None
    ticket: Ticket | None = None
    tools_called: list[str] = field(default_factory=list)
    outbox: list[tuple[str, CloudEvent]] = field(default_factory=list)
    searches: int = 0
    kb_hits: int = 0
    top_passage: str | None = None  # title of the best passage of the latest search
    replied: bool = False
    escalation_reason: str | None = None

    @property
    def text(self) -> str:
        """What the customer wrote, subject first: what the rules and the search read."""
        subject = self.message.subject
        return f"{subject}\n{self.message.content}" if subject else self.message.content


async def start_turn(
    conn: Connection, event_id: str, message: MessageReceived, max_kb_searches: int = 2
) -> TurnContext:
    """Who wrote (identity across channels) and in which conversation: the turn's starting point."""
    customer_id = await customers.resolve_customer(
        conn, email=message.customer.email, phone=message.customer.phone, name=message.customer.name
    )
    conversation_id = await conversations.open_or_resume(conn, customer_id, message.channel)
    return TurnContext(
        conn=conn,
        event_id=event_id,
        message=message,
        customer_id=customer_id,
        conversation_id=conversation_id,
        max_kb_searches=max_kb_searches,
    )
