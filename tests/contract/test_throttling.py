"""Abuse is throttled with 429 and Retry-After; what was accepted before is never lost."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.agent import runner
from shared.config import get_settings
from shared.db import agent_capacity, get_pool
from shared.throttle import limits
from tests.accepted import accepted_event
from tests.functions_under_test import function_client

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "FORMS_PER_MINUTE": "6",
        "FORMS_BURST": "3",
        "FAILED_LOOKUPS_PER_MINUTE": "6",
        "FAILED_LOOKUPS_BURST": "3",
        "FOLLOW_UPS_PER_MINUTE": "6",
        "FOLLOW_UPS_BURST": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    limits.cache_clear()


async def test_rapid_forms_from_one_address_get_429_and_the_accepted_ones_are_kept(
    app_env: str, db: asyncpg.Connection, strict: None
) -> None:
    async with function_client("intake-web-form") as client:
        answers = [await client.post("/api/v1/support/form", json=FORM) for _ in range(5)]
        elsewhere = await client.post(
            "/api/v1/support/form", json=FORM, headers={"x-forwarded-for": "203.0.113.9"}
        )
    assert [a.status_code for a in answers] == [202, 202, 202, 429, 429]
    assert answers[3].headers["retry-after"] == "10"
    assert "too many new tickets" in answers[3].json()["detail"]
    assert elsewhere.status_code == 202  # another client has its own budget
    assert await db.fetchval("SELECT count(*) FROM tickets") == 4
    assert await db.fetchval("SELECT count(*) FROM outbox") == 4


async def test_guessing_tokens_gets_429_even_for_a_right_one_afterwards(
    app_env: str, strict: None
) -> None:
    async with function_client("intake-web-form") as intake:
        receipt = (await intake.post("/api/v1/support/form", json=FORM)).json()
    url = f"/api/v1/tickets/{receipt['ticket_number']}"
    async with function_client("ticket-status") as client:
        wrong = [
            (await client.get(url, params={"token": f"guess-{n}"})).status_code for n in range(4)
        ]
        right = await client.get(url, params={"token": receipt["access_token"]})
    assert wrong == [404, 404, 404, 429]
    assert right.status_code == 429 and right.headers["retry-after"]


async def test_follow_ups_on_one_ticket_are_throttled(app_env: str, strict: None) -> None:
    async with function_client("intake-web-form") as client:
        receipt = (await client.post("/api/v1/support/form", json=FORM)).json()
        url = f"/api/v1/tickets/{receipt['ticket_number']}/messages"
        statuses = [
            (
                await client.post(
                    url, params={"token": receipt["access_token"]}, json={"message": "and?"}
                )
            ).status_code
            for _ in range(3)
        ]
    assert statuses == [202, 202, 429]


async def test_the_agent_budget_is_shared_and_taken_once_per_run(app_env: str) -> None:
    pool = await get_pool()
    async with pool.acquire() as conn:
        first = await agent_capacity.take(conn, per_second=1.0, burst=1)
        second = await agent_capacity.take(conn, per_second=1.0, burst=1)
    assert first == 0.0
    assert 0.9 < second <= 1.0  # the next run is a second away


@pytest.mark.knowledge_base
async def test_over_the_agent_budget_messages_wait_their_turn_and_all_are_answered(
    app_env: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_RUNS_PER_MINUTE", "240")  # one run every 0.25 s
    monkeypatch.setenv("AGENT_RUNS_BURST", "1")
    get_settings.cache_clear()
    events = [await accepted_event(f"How do I reset my password? ({n})") for n in range(4)]
    waits: list[float] = []
    real_take = agent_capacity.take

    async def observed(*args: object, **kwargs: object) -> float:
        waiting = await real_take(*args, **kwargs)  # type: ignore[arg-type]
        waits.append(waiting)
        return waiting

    monkeypatch.setattr(runner.agent_capacity, "take", observed)
    outcomes = await asyncio.gather(*(runner.handle_message(e) for e in events))
    assert not any(o.duplicate for o in outcomes)
    assert any(w > 0 for w in waits)  # some waited for the budget…
    assert await db.fetchval("SELECT count(*) FROM tickets WHERE status = 'answered'") == 4
