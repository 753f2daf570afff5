"""Labelled tickets from a JSON file, written by us or by others: lenient in, strict out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.identity import InvalidIdentifier, normalize_email, normalize_phone

Channel = Literal["web_form", "email", "whatsapp"]
_CHANNEL_ALIASES = {
    "web": "web_form",
    "webform": "web_form",
    "web-form": "web_form",
    "form": "web_form",
    "gmail": "email",
    "mail": "email",
    "wa": "whatsapp",
    "whats_app": "whatsapp",
}


class EvalTicket(BaseModel):
    """One row: ``channel``, ``content`` (or ``message``), and optional labels. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    channel: Channel
    content: str = Field(min_length=1)
    subject: str | None = None
    customer_name: str | None = None
    customer_email: str | None = None
    customer_phone: str | None = None
    expected_action: Literal["resolve", "escalate"] | None = None
    escalation_reason: str | None = None
    category: str | None = None
    expected_section: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _message_is_content(cls, row: Any) -> Any:
        if isinstance(row, dict) and "content" not in row and "message" in row:
            row = {**row, "content": row["message"]}
        return row

    @field_validator("channel", mode="before")
    @classmethod
    def _channel_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower()
            return _CHANNEL_ALIASES.get(key, key)
        return value

    @field_validator("customer_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return normalize_email(value) if value else None

    @field_validator("customer_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        try:
            return normalize_phone(value, strict=False) if value else None  # test ranges are fine
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from exc


@dataclass(frozen=True)
class TicketFile:
    tickets: list[EvalTicket]
    problems: list[str]  # one line per skipped row


def load_tickets(path: Path) -> TicketFile:
    """Every valid row; a bad row is reported by position and id and skipped, never fatal."""
    try:
        rows = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read tickets from {path}: {exc}") from exc
    if isinstance(rows, dict) and isinstance(rows.get("tickets"), list):
        rows = rows["tickets"]
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON array of tickets")
    tickets, problems = [], []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(f"row {index}: not an object")
            continue
        row_id = str(row.get("id") or f"row-{index}")
        try:
            tickets.append(EvalTicket.model_validate({**row, "id": row_id}))
        except (ValidationError, InvalidIdentifier) as exc:
            fields = (
                ", ".join(".".join(map(str, e["loc"])) or "row" for e in exc.errors())
                if isinstance(exc, ValidationError)
                else "identifier"
            )
            problems.append(f"row {index} ({row_id}): invalid {fields}")
    return TicketFile(tickets, problems)
