"""The bodies the staff API accepts."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(_Body):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class Answer(_Body):
    body: str = Field(min_length=1, max_length=20_000)


class Note(_Body):
    body: str = Field(min_length=1, max_length=20_000)
    private: bool = False


class Assignment(_Body):
    staff_id: UUID | None
