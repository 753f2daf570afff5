"""The web support form: the rules a submission must meet, shared with the browser as JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.identity import InvalidIdentifier, normalize_email, normalize_phone
from shared.text import MultiLine, SingleLine

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

    name: Annotated[SingleLine, Text, Field(min_length=1, max_length=100)]
    email: Annotated[
        str,
        Text,
        Field(max_length=254, json_schema_extra={"format": "email"}),
        AfterValidator(_email),
    ]
    phone: Annotated[
        str | None,
        Field(default=None, max_length=32, json_schema_extra={"format": "phone"}),
        AfterValidator(_phone),
    ] = None
    subject: Annotated[SingleLine, Text, Field(min_length=3, max_length=200)]
    category: Category = "general"
    priority: Priority = "medium"
    message: Annotated[MultiLine, Text, Field(min_length=10, max_length=5000)]


class FollowUp(BaseModel):
    """A customer's follow-up on an existing ticket (POST /api/v1/tickets/{id}/messages)."""

    model_config = ConfigDict(extra="ignore", title="FollowUp")

    message: Annotated[MultiLine, Text, Field(min_length=1, max_length=5000)]


class Receipt(BaseModel):
    """What the customer gets back at once: the ticket number and how to follow it."""

    ticket_number: str
    message_id: str = Field(description="the message just accepted, as the thread shows it")
    status_url: str
    access_token: str
    status: str = "received"


FORM_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "web-form" / "src" / "schema"
FORM_SCHEMAS: dict[str, type[BaseModel]] = {
    "support-form.schema.json": SupportForm,
    "follow-up.schema.json": FollowUp,
}


def render_form_schemas() -> dict[str, str]:
    """The rules the browser applies before sending: the same models, as JSON Schema."""
    return {
        name: json.dumps(model.model_json_schema(), indent=2) + "\n"
        for name, model in FORM_SCHEMAS.items()
    }


def write_form_schemas() -> list[Path]:
    paths = []
    for name, text in render_form_schemas().items():
        (FORM_SCHEMA_DIR / name).write_text(text)
        paths.append(FORM_SCHEMA_DIR / name)
    return paths


def status_url(ticket_number: str, token: str, base_url: str = "") -> str:
    return f"{base_url}/api/v1/tickets/{ticket_number}?token={token}"
