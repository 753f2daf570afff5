"""The staff API through the real function: who may sign in, what a session may see and do, and
a person's answer going out as a ``reply.ready`` like the agent's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from shared.db import get_pool, outbox
from shared.staff.sessions import add_account
from tests.accepted import accept
from tests.functions_under_test import function_client

PASSWORD = "correct horse battery staple"
API = "/api/v1/staff"


async def _escalated(reason: str = "refund_request", content: str = "I want a refund") -> str:
    accepted = await accept(content)
    pool = await get_pool()
    await pool.execute(
        "UPDATE tickets SET status = 'escalated', escalation_reason = $2 WHERE id = $1",
        accepted.ticket.id,
        reason,
    )
    return accepted.ticket.ticket_number


@pytest.fixture
async def team(app_env: str) -> dict[str, str]:
    """Two agents and an admin; their ids by name."""
    members = {}
    for name, role in (("ana", "agent"), ("ben", "agent"), ("cy", "admin")):
        member = await add_account(f"{name}@northwind.example", name.title(), role, PASSWORD)
        members[name] = str(member.id)
    return members


@pytest.fixture
async def client(team: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    async with function_client("staff-api") as api:
        yield api


async def _sign_in(
    client: httpx.AsyncClient, who: str = "ana", password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        f"{API}/session", json={"email": f"{who}@northwind.example", "password": password}
    )


async def _csrf(client: httpx.AsyncClient, who: str = "ana") -> dict[str, str]:
    response = await _sign_in(client, who)
    assert response.status_code == 200, response.text
    return {"x-csrf-token": response.json()["csrf_token"]}


async def test_signing_in_sets_an_httponly_strict_session_cookie_and_returns_a_csrf_token(
    client: httpx.AsyncClient,
) -> None:
    response = await _sign_in(client)

    assert response.status_code == 200
    body = response.json()
    assert body["staff"]["email"] == "ana@northwind.example" and body["csrf_token"]
    cookie = response.headers["set-cookie"]
    assert "fte_staff=" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/api/v1/staff" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the TLS test
    me = await client.get(f"{API}/session")
    assert me.status_code == 200 and me.json()["staff"]["name"] == "Ana"


async def test_the_cookie_is_secure_when_served_over_tls(
    team: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.config import get_settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://support.northwind.example")
    get_settings.cache_clear()
    async with function_client("staff-api") as client:
        response = await _sign_in(client)
    assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_password_and_an_unknown_address_get_the_same_401(
    client: httpx.AsyncClient,
) -> None:
    wrong = await _sign_in(client, password="not the password")
    unknown = await _sign_in(client, who="nobody")

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong email or password"}
    assert "set-cookie" not in wrong.headers


async def test_repeated_wrong_passwords_lock_the_account_even_against_the_right_one(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    statuses = [(await _sign_in(client, password=f"wrong {n}")).status_code for n in range(5)]
    right = await _sign_in(client)

    assert statuses == [401, 401, 401, 401, 429]
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 800
    assert await db.fetchval("SELECT count(*) FROM staff_sessions") == 0
    other = await _sign_in(client, who="ben")  # only that account is locked
    assert other.status_code == 200


async def test_sign_in_attempts_are_throttled_per_client_address(
    team: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.config import get_settings
    from shared.throttle import limits

    monkeypatch.setenv("SIGN_INS_BURST", "3")
    monkeypatch.setenv("SIGN_INS_PER_MINUTE", "1")
    get_settings.cache_clear()
    limits.cache_clear()
    async with function_client("staff-api") as client:
        statuses = [(await _sign_in(client, who="nobody")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_a_staff_route_without_a_session_is_401_and_a_customer_token_opens_nothing(
    client: httpx.AsyncClient,
) -> None:
    accepted = await accept()
    number = accepted.ticket.ticket_number
    token = "customer-token"  # whatever a customer holds, it is not a staff session

    bare = await client.get(f"{API}/tickets")
    bearer = await client.get(
        f"{API}/tickets/{number}", headers={"authorization": f"Bearer {token}"}
    )
    query = await client.get(f"{API}/tickets/{number}?token={token}")

    assert bare.status_code == bearer.status_code == query.status_code == 401


async def test_every_change_needs_the_sessions_csrf_token(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    number = await _escalated()
    await _csrf(client)

    missing = await client.post(f"{API}/tickets/{number}/replies", json={"body": "Hello"})
    wrong = await client.post(
        f"{API}/tickets/{number}/notes",
        json={"body": "x"},
        headers={"x-csrf-token": "guessed"},
    )

    assert missing.status_code == wrong.status_code == 403
    assert "CSRF" in missing.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM messages WHERE role = 'staff'") == 0
    assert await db.fetchval("SELECT count(*) FROM ticket_notes") == 0


async def test_the_queue_shows_escalated_tickets_longest_wait_first_with_sla_clocks(
    client: httpx.AsyncClient,
) -> None:
    first = await _escalated()
    second = await _escalated("human_requested", "Let me talk to a person")
    await accept("An ordinary question")  # answered by the agent: not in the queue
    await _csrf(client)

    body = (await client.get(f"{API}/tickets")).json()

    assert [t["ticket_number"] for t in body["tickets"]] == [first, second]
    item = body["tickets"][0]
    assert item["escalation_reason"] == "refund_request" and item["channel"] == "web_form"
    assert item["customer"]["email"] == "ada@example.com"
    assert item["sla"]["first_response_due"] and item["sla"]["overdue"] is False
    assert body["counts"] == {"waiting": 2, "overdue": 0}


async def test_a_persons_answer_is_a_reply_ready_with_its_author_once_per_idempotency_key(
    client: httpx.AsyncClient, db: asyncpg.Connection, team: dict[str, str]
) -> None:
    number = await _escalated()
    csrf = await _csrf(client) | {"idempotency-key": "answer-1"}

    sent = await client.post(
        f"{API}/tickets/{number}/replies", json={"body": "Refunded."}, headers=csrf
    )
    again = await client.post(
        f"{API}/tickets/{number}/replies", json={"body": "Refunded."}, headers=csrf
    )

    assert sent.status_code == again.status_code == 202
    assert sent.json() == again.json()
    row = await db.fetchrow(
        "SELECT role, author_staff_id, content FROM messages WHERE role = 'staff'"
    )
    assert str(row["author_staff_id"]) == team["ana"] and row["content"] == "Refunded."
    event_id = await db.fetchval(
        "SELECT event_id FROM outbox WHERE attributes->>'type' = 'io.digitalfte.support.reply.ready'"
    )
    event = await outbox.event(await get_pool(), event_id)
    assert event is not None and event["channel"] == "web_form"
    assert event.get_data()["author_staff_id"] == team["ana"]
    view = (await client.get(f"{API}/tickets/{number}")).json()
    assert [m["role"] for m in view["history"]] == ["customer", "staff"]
    assert view["history"][1]["author"]["name"] == "Ana"
    assert [a["action"] for a in view["actions"]] == ["answered"]


async def test_a_private_note_is_its_authors_alone_and_no_note_reaches_the_customer(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    number = await _escalated()
    ana = await _csrf(client, "ana")
    await client.post(
        f"{API}/tickets/{number}/notes", json={"body": "Team: check the invoice"}, headers=ana
    )
    await client.post(
        f"{API}/tickets/{number}/notes",
        json={"body": "Private: call back Monday", "private": True},
        headers=ana,
    )
    ana_sees = (await client.get(f"{API}/tickets/{number}")).json()["notes"]

    async with function_client("staff-api") as ben_client:
        await _csrf(ben_client, "ben")
        ben_sees = (await ben_client.get(f"{API}/tickets/{number}")).json()["notes"]

    assert [n["body"] for n in ana_sees] == ["Team: check the invoice", "Private: call back Monday"]
    assert [n["body"] for n in ben_sees] == ["Team: check the invoice"]
    assert await db.fetchval("SELECT count(*) FROM messages WHERE content LIKE '%invoice%'") == 0


async def test_an_agent_cannot_change_a_colleagues_ticket_but_an_admin_can(
    client: httpx.AsyncClient, team: dict[str, str]
) -> None:
    number = await _escalated()
    ana = await _csrf(client, "ana")
    assigned = await client.post(
        f"{API}/tickets/{number}/assign", json={"staff_id": team["ana"]}, headers=ana
    )
    assert assigned.json()["ticket"]["assigned_to"]["name"] == "Ana"

    async with function_client("staff-api") as ben_client:
        ben = await _csrf(ben_client, "ben")
        refused = await ben_client.post(f"{API}/tickets/{number}/resolve", headers=ben)
        readable = await ben_client.get(f"{API}/tickets/{number}")
    async with function_client("staff-api") as cy_client:
        cy = await _csrf(cy_client, "cy")
        resolved = await cy_client.post(f"{API}/tickets/{number}/resolve", headers=cy)

    assert refused.status_code == 403 and readable.status_code == 200
    assert resolved.status_code == 200 and resolved.json()["ticket"]["status"] == "resolved"


async def test_resolve_and_reopen_are_recorded_with_who_did_them(client: httpx.AsyncClient) -> None:
    number = await _escalated()
    ana = await _csrf(client)

    await client.post(f"{API}/tickets/{number}/resolve", headers=ana)
    reopened = await client.post(f"{API}/tickets/{number}/reopen", headers=ana)

    assert reopened.json()["ticket"]["status"] == "escalated"
    actions = (await client.get(f"{API}/tickets/{number}")).json()["actions"]
    assert [(a["action"], a["staff"]["name"]) for a in actions] == [
        ("resolved", "Ana"),
        ("reopened", "Ana"),
    ]


async def test_bad_input_is_a_clear_4xx(client: httpx.AsyncClient) -> None:
    number = await _escalated()
    ana = await _csrf(client)

    empty = await client.post(f"{API}/tickets/{number}/replies", json={"body": "   "}, headers=ana)
    unknown = await client.get(f"{API}/tickets/TKT-9999")
    view = await client.get(f"{API}/tickets?view=everything")
    method = await client.put(f"{API}/tickets/{number}/replies", headers=ana)

    assert (empty.status_code, unknown.status_code, view.status_code) == (422, 404, 422)
    assert method.status_code == 405 and method.headers["allow"] == "POST"


async def test_signing_out_ends_the_session(client: httpx.AsyncClient) -> None:
    ana = await _csrf(client)

    out = await client.delete(f"{API}/session", headers=ana)

    assert out.status_code == 204
    assert (await client.get(f"{API}/tickets")).status_code == 401
