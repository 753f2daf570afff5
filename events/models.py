"""One pydantic model per event type: the data of the CloudEvent. JSON Schemas are generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from events import catalog

Channel = Literal["web_form", "email", "whatsapp"]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    event_type: ClassVar[str]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID = Field(description="the customer's id: the same on every channel once linked")
    name: str | None = None
    email: str | None = Field(default=None, description="normalised: lower-case, validated")
    phone: str | None = Field(default=None, description="E.164")

    @property
    def key(self) -> str:
        """The partition key that orders this customer's events: opaque, no personal data."""
        return str(self.id)


class Attachment(BaseModel):
    """Media that came with a message: kept as metadata only, never opened."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    content_type: str
    url: str


class MessageReceived(EventData):
    """A customer wrote on some channel; the intake has stored it on its ticket."""

    event_type: ClassVar[str] = catalog.MESSAGE_RECEIVED

    channel: Channel
    customer: Customer
    content: str = Field(min_length=1)
    subject: str | None = None
    category: str | None = None
    priority: str = "medium"
    ticket_number: str = Field(description="the ticket the intake filed the message on")
    message_id: UUID = Field(description="the stored customer message")
    thread_id: str | None = Field(
        default=None, description="the channel's thread (Gmail thread id)"
    )
    channel_message_id: str | None = None
    attachments: list[Attachment] = Field(
        default_factory=list, description="media the customer sent (WhatsApp), unopened"
    )
    received_at: datetime


class ReplyReady(EventData):
    """An answer (the agent's, or a person's), formatted for its channel, for its sender."""

    event_type: ClassVar[str] = catalog.REPLY_READY

    channel: Channel
    ticket_number: str
    message_id: UUID = Field(description="the outbound message row the sender marks delivered")
    customer: Customer
    parts: list[str] = Field(min_length=1, description="the reply, split for the channel's limit")
    subject: str | None = None
    thread_id: str | None = None
    in_reply_to: str = Field(description="id of the message.received event this answers")
    apology: bool = Field(
        default=False, description="our apology for a message we could not handle"
    )
    author_staff_id: UUID | None = Field(
        default=None, description="the support team member who wrote it; none: the agent"
    )
    rating: Literal["request", "thanks"] | None = Field(
        default=None,
        description="asks the customer to rate the resolved ticket, or thanks them for it; "
        "none: an answer",
    )


class TicketEscalated(EventData):
    """A ticket handed to a person, with the reason code ops route and report on."""

    event_type: ClassVar[str] = catalog.ESCALATED

    channel: Channel
    ticket_number: str
    reason: str = Field(description="pricing_inquiry, refund_request, legal, human_requested, …")
    note: str | None = Field(
        default=None, description="for the person taking over; no customer text"
    )
    priority: str = "medium"


EVENT_MODELS: tuple[type[EventData], ...] = (MessageReceived, ReplyReady, TicketEscalated)
