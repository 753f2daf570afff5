import json

import asyncpg
import pytest

from events import catalog
from shared.agent.runner import handle_message
from tests.functions_under_test import function_client
from tests.kafka_reading import end_offsets, read_events

pytestmark = pytest.mark.knowledge_base

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "phone": "+14155552671",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


async def _submitted_and_handled(kafka: str) -> dict[str, str]:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    async with function_client("intake-web-form") as client:
        receipt = (await client.post("/api/v1/support/form", json=FORM)).json()
    [(_, event)] = await read_events(
        kafka,
        catalog.TOPIC_INCOMING,
        since,
        where=lambda e: json.loads(e.get_data())["ticket_number"] == receipt["ticket_number"],
    )
    await handle_message(event)
    return dict(receipt)


async def test_a_follow_up_joins_the_ticket_and_is_answered(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
) -> None:
    receipt = await _submitted_and_handled(kafka)
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    async with function_client("intake-web-form") as client:
        response = await client.post(
            f"/api/v1/tickets/{receipt['ticket_number']}/messages",
            params={"token": receipt["access_token"]},
            json={"message": "Thanks, and how do I enable 2FA?"},
        )
    assert response.status_code == 202
    assert response.json()["ticket_number"] == receipt["ticket_number"]
    [(key, event)] = await read_events(
        kafka,
        catalog.TOPIC_INCOMING,
        since,
        where=lambda e: "2FA" in json.loads(e.get_data())["content"],
    )
    assert key == str(await db.fetchval("SELECT customer_id FROM tickets")).encode()
    await handle_message(event)
    roles = [r["role"] for r in await db.fetch("SELECT role FROM messages ORDER BY created_at")]
    assert roles == ["customer", "agent", "customer", "agent"]
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1
    assert await db.fetchval("SELECT status FROM tickets") == "answered"


async def test_a_follow_up_without_the_tickets_token_is_404(app_env: str, kafka: str) -> None:
    receipt = await _submitted_and_handled(kafka)
    async with function_client("intake-web-form") as client:
        url = f"/api/v1/tickets/{receipt['ticket_number']}/messages"
        answers = [
            await client.post(url, json={"message": "hello"}),
            await client.post(url, params={"token": "guess"}, json={"message": "hello"}),
        ]
    assert [a.status_code for a in answers] == [404, 404]


async def test_a_follow_up_right_after_the_form_joins_the_same_ticket(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    async with function_client("intake-web-form") as client:
        receipt = (await client.post("/api/v1/support/form", json=FORM)).json()
        response = await client.post(
            f"/api/v1/tickets/{receipt['ticket_number']}/messages",
            headers={"authorization": f"Bearer {receipt['access_token']}"},
            json={"message": "hello?"},
        )
    assert response.status_code == 202
    assert response.json()["ticket_number"] == receipt["ticket_number"]
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1
    assert await db.fetchval("SELECT count(*) FROM messages WHERE role = 'customer'") == 2


async def test_a_retried_follow_up_with_its_idempotency_key_is_accepted_once(
    app_env: str, kafka: str, db: asyncpg.Connection
) -> None:
    receipt = await _submitted_and_handled(kafka)
    url = f"/api/v1/tickets/{receipt['ticket_number']}/messages"
    params = {"token": receipt["access_token"]}
    async with function_client("intake-web-form") as client:
        answers = [
            await client.post(
                url, params=params, headers={"idempotency-key": "f-1"}, json={"message": "Hi"}
            )
            for _ in range(2)
        ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert await db.fetchval("SELECT count(*) FROM messages WHERE content = 'Hi'") == 1


async def test_an_empty_follow_up_is_422_naming_the_field(app_env: str, kafka: str) -> None:
    receipt = await _submitted_and_handled(kafka)
    async with function_client("intake-web-form") as client:
        response = await client.post(
            f"/api/v1/tickets/{receipt['ticket_number']}/messages",
            params={"token": receipt["access_token"]},
            json={"message": "  "},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "message"
