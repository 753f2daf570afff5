"""Hostile input at the edges: a clear 4xx or an accepted message that is answered; never a 5xx."""

from __future__ import annotations

import json

import asyncpg
import httpx
import pytest
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from events import catalog
from shared.agent.runner import handle_message
from shared.db import get_pool, outbox
from tests.accepted import accepted_event
from tests.functions_under_test import function_client

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


async def _post_form(body: object, **kwargs: object) -> httpx.Response:
    async with function_client("intake-web-form") as client:
        return await client.post("/api/v1/support/form", json=body, **kwargs)  # type: ignore[arg-type]


async def _raw_form(content: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async with function_client("intake-web-form") as client:
        return await client.post(
            "/api/v1/support/form",
            content=content,
            headers={"content-type": "application/json", **(headers or {})},
        )


@pytest.mark.knowledge_base
async def test_a_nul_in_message_and_subject_is_removed_and_the_message_answered(
    app_env: str, db: asyncpg.Connection
) -> None:
    response = await _post_form(
        {
            **FORM,
            "subject": "Reset\u0000 password",
            "message": "hello \u0000 how do I reset my password?",
        }
    )
    assert response.status_code == 202
    stored = await db.fetchrow("SELECT subject FROM tickets")
    assert stored["subject"] == "Reset password"
    content = await db.fetchval("SELECT content FROM messages WHERE role = 'customer'")
    assert content == "hello  how do I reset my password?"
    event = await outbox.event(await get_pool(), await db.fetchval("SELECT event_id FROM outbox"))
    assert event is not None
    assert not (await handle_message(event)).duplicate
    assert await db.fetchval("SELECT status FROM tickets") == "answered"


async def test_lone_surrogates_and_decomposed_accents_are_stored_as_text(
    app_env: str, db: asyncpg.Connection
) -> None:
    body = json.dumps({**FORM, "message": "caf\u0065\u0301 \ud800 please help me"}).encode()
    assert (await _raw_form(body)).status_code == 202
    content = await db.fetchval("SELECT content FROM messages WHERE role = 'customer'")
    assert content == "caf\u00e9 \ufffd please help me"


@pytest.mark.parametrize("field", ["name", "subject"])
async def test_a_line_break_in_a_single_line_field_is_422_naming_it(
    app_env: str, db: asyncpg.Connection, field: str
) -> None:
    response = await _post_form({**FORM, field: "Hello\r\nBcc: someone@example.com"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": field, "message": "must be a single line (no line breaks)"}
    ]
    assert await db.fetchval("SELECT count(*) FROM tickets") == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
        (b'{"name": ' + b"9" * 5_000 + b"}", "not acceptable JSON"),
    ],
)
async def test_pathological_json_is_400_with_a_reason(
    app_env: str, content: bytes, reason: str
) -> None:
    response = await _raw_form(content)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


async def test_a_declared_content_length_over_the_limit_is_413_before_reading(app_env: str) -> None:
    response = await _raw_form(b"{}", headers={"content-length": str(100 * 1024 * 1024)})
    assert response.status_code == 413


async def test_a_streamed_body_over_the_limit_is_cut_with_413(app_env: str) -> None:
    async def chunks() -> object:
        for _ in range(200):
            yield b" " * 1024

    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form",
            content=chunks(),  # type: ignore[arg-type]
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("service", "method", "path", "allow"),
    [
        ("intake-web-form", "GET", "/api/v1/support/form", "POST"),
        ("ticket-status", "POST", "/api/v1/tickets/TKT-0001", "GET, HEAD"),
        ("ops", "DELETE", "/api/v1/health", "GET, HEAD"),
    ],
)
async def test_a_wrong_method_is_405_with_allow(
    app_env: str, service: str, method: str, path: str, allow: str
) -> None:
    async with function_client(service) as client:
        response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow


@pytest.mark.knowledge_base
async def test_an_event_whose_content_postgres_refuses_is_400_so_it_is_not_retried(
    app_env: str,
) -> None:
    event = await accepted_event()  # then rewritten by someone else's producer, with a NUL
    data = event.get_data()
    assert isinstance(data, dict)
    poisoned = CloudEvent.create(dict(event.get_attributes()), data | {"content": "a\u0000b"})
    headers, body = to_binary(poisoned)
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 400
    assert "cannot be stored" in response.text


async def test_dead_letter_records_an_event_full_of_nul_bytes(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = CloudEvent.create(
        {"type": catalog.MESSAGE_RECEIVED, "source": "/x\u0000", "knativeerrorcode": "500"},
        {"content": "\u0000" * 10, "nested": {"k\u0000": ["\u0000"]}},
    )
    headers, body = to_binary(event)
    async with function_client("dead-letter") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 200
    assert await db.fetchval("SELECT data->>'content' FROM dead_letters") == "\ufffd" * 10
