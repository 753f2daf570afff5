"""The web support form: the rules a submission must meet, shared with the browser as JSON Schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.identity import InvalidIdentifier, normalize_email, normalize_phone

Category = Literal["general", "technical", "billing", "account", "feedback"]
Priority = Literal["low", "medium", "high"]


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidIdentifier as exc:
        raise ValueError(f"not a valid email address ({exc})") from exc


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return normalize_phone(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from exc


Text = StringConstraints(strip_whitespace=True)


class SupportForm(BaseModel):
    """One submission of the support form (POST /api/v1/support/form)."""

    model_config = ConfigDict(extra="ignore", title="SupportForm")

    name: Annotated[str, Text, Field(min_length=1, max_length=100)]
    email: Annotated[str, Text, Field(max_length=254, json_schema_extra={"format": "email"}),
                     AfterValidator(_email)]
    phone: Annotated[str | None, Field(default=None, max_length=32,
                     json_schema_extra={"format": "phone"}), AfterValidator(_phone)] = None
    subject: Annotated[str, Text, Field(min_length=3, max_length=200)]
    category: Category = "general"
    priority: Priority = "medium"
    message: Annotated[str, Text, Field(min_length=10, max_length=5000)]


class FollowUp(BaseModel):
    """A customer's follow-up on an existing ticket (POST /api/v1/tickets/{id}/messages)."""

    model_config = ConfigDict(extra="ignore", title="FollowUp")

    message: Annotated[str, Text, Field(min_length=1, max_length=5000)]


class Receipt(BaseModel):
    """What the customer gets back at once: the ticket number and how to follow it."""

    ticket_number: str
    status_url: str
    access_token: str
    status: str = "received"


def status_url(ticket_number: str, token: str, base_url: str = "") -> str:
    return f"{base_url}/api/v1/tickets/{ticket_number}?token={token}"
