"""The edges of our HTTP functions: JSON in, a model out, or a 4xx that says what is wrong."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024


class BadRequest(Exception):
    """Input that will never succeed: answered with its status and reason, never retried."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def method_not_allowed(*allowed: str) -> BadRequest:
    return BadRequest(405, f"use {' or '.join(allowed)}", headers={"allow": ", ".join(allowed)})


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    """One entry per bad field, in words a person can act on."""
    errors = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "body"
        message = error["msg"].removeprefix("Value error, ")
        errors.append({"field": field, "message": message})
    return errors


async def read_json(request: Request, model: type[M]) -> M:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest(415, "send the body as application/json")
    body = await read_body(request)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(400, f"the body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest(400, "the body is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise BadRequest(400, f"the body is not acceptable JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadRequest(
            422,
            "the body must be a JSON object",
            [{"field": "body", "message": "expected an object"}],
        )
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest(422, "some fields are not valid", field_errors(exc)) from exc


IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused with 413 from its Content-Length before it is read, or at the limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise BadRequest(413, f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request) -> FormData:
    """An ``application/x-www-form-urlencoded`` body (as webhooks post), within the body limit."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadRequest(415, "send the body as application/x-www-form-urlencoded")
    body = await read_body(request)
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(400, f"the body is not a valid form: {exc}") from exc
    return FormData(pairs)


def idempotency_key(request: Request) -> str | None:
    """The client's ``Idempotency-Key``: 1-255 visible ASCII characters, or none at all."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.match(key):
        raise BadRequest(400, "Idempotency-Key must be 1 to 255 visible ASCII characters")
    return key


def bearer_or_query_token(request: Request) -> str | None:
    """A ticket's access token, from ``Authorization: Bearer …`` or ``?token=…``."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.query_params.get("token") or None
