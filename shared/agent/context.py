"""What one agent turn knows and plans while the Runner calls its tools.

Tools read the database through the pool, one short query at a time, and *plan* their writes
here; ``effects.write_effects`` writes them, with the turn's claim, in one short transaction
once the model is done. No connection or transaction is held while the model thinks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from events.envelope import InvalidEvent
from events.models import MessageReceived
from shared.agent.frustration import Frustration
from shared.db import tickets
from shared.db.pool import Queryable
from shared.db.tickets import Ticket
from shared.relay import Outgoing


@dataclass(frozen=True)
class PlannedReply:
    """An outbound message the turn will store, with the event that carries it to its sender."""

    message_id: UUID
    event_id: str
    content: str


@dataclass
class TurnContext:
    """Everything the tools share for one customer message (``event_id`` is its event's id)."""

    db: Queryable
    event_id: str
    message: MessageReceived
    ticket: Ticket  # as the turn leaves it: status and escalation reason are planned here
    max_kb_searches: int = 2
    sentiment: float | None = None
    frustration: Frustration | None = None
    # A model that reads the conversation (not the offline one) judges the soft cases itself:
    # frustration in context, and whether the passages answer.
    model_judges_soft_cases: bool = False
    opened: bool = False
    tools_called: list[str] = field(default_factory=list)
    replies: list[PlannedReply] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    searches: int = 0
    kb_hits: int = 0
    top_passage: str | None = None  # title of the best passage of the latest search
    found: list[str] = field(default_factory=list)  # titles of every search's best passages
    # What the customer's yes/no questions ask about (shared.kb.answerability), and which of
    # it the best passage of the latest search does not name (all of it when none was found).
    asked_about: tuple[str, ...] = ()
    unmentioned: tuple[str, ...] = ()
    replied: bool = False
    escalation_reason: str | None = None

    @property
    def customer_id(self) -> UUID:
        assert self.ticket.customer_id is not None
        return self.ticket.customer_id

    @property
    def conversation_id(self) -> UUID:
        assert self.ticket.conversation_id is not None
        return self.ticket.conversation_id

    @property
    def text(self) -> str:
        """What the customer wrote, subject first: what the rules and the search read."""
        subject = self.message.subject
        return f"{subject}\n{self.message.content}" if subject else self.message.content


async def start_turn(
    db: Queryable, event_id: str, message: MessageReceived, max_kb_searches: int = 2
) -> TurnContext:
    """The ticket the intake filed the message on: the customer and conversation come with it."""
    ticket = await tickets.get_by_number(db, message.ticket_number)
    if ticket is None or ticket.customer_id is None or ticket.conversation_id is None:
        raise InvalidEvent(f"no ticket {message.ticket_number} holds this message")
    return TurnContext(
        db=db, event_id=event_id, message=message, ticket=ticket, max_kb_searches=max_kb_searches
    )
