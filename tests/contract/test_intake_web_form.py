import asyncpg
import pytest

from tests.functions_under_test import function_client

VALID = {
    "name": "Ada",
    "email": "Ada@Example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


async def test_a_valid_form_gets_202_with_ticket_number_status_url_and_token(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post("/api/v1/support/form", json=VALID)
    assert response.status_code == 202
    body = response.json()
    assert body["ticket_number"] == "TKT-0001"
    assert body["status"] == "received"
    assert body["status_url"].endswith(f"/api/v1/tickets/TKT-0001?token={body['access_token']}")


async def test_bad_fields_get_422_naming_each_field_and_nothing_is_written(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form",
            json={**VALID, "email": "nope", "subject": "", "priority": "asap"},
        )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"email", "subject", "priority"}
    assert await db.fetchval("SELECT count(*) FROM tickets") == 0


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b'["a list"]', "application/json", 422),
        (b"name=Ada", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused_with_a_reason(
    app_env: str,
    content: bytes,
    content_type: str,
    status: int,
) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form", content=content, headers={"content-type": content_type}
        )
    assert response.status_code == status
    assert response.json()["detail"]


async def test_get_is_not_allowed(app_env: str) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.get("/api/v1/support/form")
    assert response.status_code == 405


async def test_a_retry_with_the_same_idempotency_key_gets_the_same_receipt(
    app_env: str, db: asyncpg.Connection
) -> None:
    async with function_client("intake-web-form") as client:
        answers = [
            await client.post(
                "/api/v1/support/form", json=VALID, headers={"idempotency-key": "order-42"}
            )
            for _ in range(2)
        ]
        changed = await client.post(
            "/api/v1/support/form",
            json={**VALID, "subject": "Another subject"},
            headers={"idempotency-key": "order-42"},
        )
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert changed.status_code == 422
    assert "Idempotency-Key" in changed.json()["detail"]
    assert await db.fetchval("SELECT count(*) FROM tickets") == 1


async def test_a_malformed_idempotency_key_is_400(app_env: str, db: asyncpg.Connection) -> None:
    async with function_client("intake-web-form") as client:
        response = await client.post(
            "/api/v1/support/form", json=VALID, headers={"idempotency-key": "x" * 300}
        )
    assert response.status_code == 400
    assert await db.fetchval("SELECT count(*) FROM tickets") == 0
