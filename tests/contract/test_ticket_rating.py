"""ticket-status's rating endpoint through the real function: the ticket's token authorises it
exactly as it does the status page; a bad score, an unresolved ticket or a wrong token gets a 4xx
that says why, and stores nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.functions_under_test import function_client

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


async def _submit(email: str = "ada@example.com") -> dict[str, str]:
    async with function_client("intake-web-form") as client:
        response = await client.post("/api/v1/support/form", json={**FORM, "email": email})
    assert response.status_code == 202
    return dict(response.json())


async def _resolved(db: asyncpg.Connection, email: str = "ada@example.com") -> dict[str, str]:
    receipt = await _submit(email)
    await db.execute(
        "UPDATE tickets SET status = 'resolved' WHERE ticket_number = $1", receipt["ticket_number"]
    )
    return receipt


async def _rate(receipt: dict[str, str], body: Any, token: str | None = None) -> httpx.Response:
    async with function_client("ticket-status") as client:
        return await client.post(
            f"/api/v1/tickets/{receipt['ticket_number']}/rating",
            json=body,
            headers={"authorization": f"Bearer {token or receipt['access_token']}"},
        )


async def _view(receipt: dict[str, str]) -> dict[str, Any]:
    async with function_client("ticket-status") as client:
        response = await client.get(
            f"/api/v1/tickets/{receipt['ticket_number']}",
            headers={"authorization": f"Bearer {receipt['access_token']}"},
        )
    assert response.status_code == 200
    return dict(response.json())


async def _count(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM ticket_ratings"))


async def test_the_token_holder_rates_a_resolved_ticket_and_the_page_shows_it(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipt = await _resolved(db)
    assert (await _view(receipt))["ratings"] == []

    rated = await _rate(receipt, {"score": 4})

    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"]["score"] == 4 and rated.headers["cache-control"] == "no-store"
    [shown] = (await _view(receipt))["ratings"]
    assert (shown["channel"], shown["score"]) == ("web_form", 4)


async def test_rating_again_on_the_page_replaces_the_earlier_rating(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipt = await _resolved(db)

    await _rate(receipt, {"score": 2})
    again = await _rate(receipt, {"score": 5})

    assert again.status_code == 200
    assert [(r["channel"], r["score"]) for r in (await _view(receipt))["ratings"]] == [
        ("web_form", 5)
    ]


async def test_a_rating_from_the_emails_link_is_stored_as_the_email_channels(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipt = await _resolved(db)

    await _rate(receipt, {"score": 3, "channel": "email"})

    assert await db.fetchval("SELECT channel FROM ticket_ratings") == "email"


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 6},
        {"score": "5"},
        {"score": 4.5},
        {"score": True},
        {},
        {"score": 3, "channel": "whatsapp"},
        {"score": 3, "extra": 1},
    ],
)
async def test_a_score_that_is_not_a_whole_number_from_1_to_5_is_a_422_that_names_the_field(
    app_env: str, db: asyncpg.Connection, body: dict[str, Any]
) -> None:
    receipt = await _resolved(db)

    refused = await _rate(receipt, body)

    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] in ("score", "channel", "extra")
    assert await _count(db) == 0


async def test_a_ticket_not_resolved_yet_is_a_409_that_says_so(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipt = await _submit()

    refused = await _rate(receipt, {"score": 5})

    assert refused.status_code == 409
    assert "not resolved" in refused.json()["detail"]
    assert await _count(db) == 0


async def test_a_wrong_token_or_another_tickets_token_is_a_404_like_the_status_page(
    app_env: str, db: asyncpg.Connection
) -> None:
    mine = await _resolved(db)
    theirs = await _resolved(db, "grace@example.com")

    answers = [
        await _rate(mine, {"score": 5}, token="guess"),
        await _rate(mine, {"score": 5}, token=theirs["access_token"]),
    ]
    async with function_client("ticket-status") as client:
        answers.append(
            await client.post(f"/api/v1/tickets/{mine['ticket_number']}/rating", json={"score": 5})
        )

    assert [a.status_code for a in answers] == [404] * 3
    assert await _count(db) == 0


async def test_the_rating_takes_only_a_json_post(app_env: str, db: asyncpg.Connection) -> None:
    receipt = await _resolved(db)
    url = f"/api/v1/tickets/{receipt['ticket_number']}/rating"
    auth = {"authorization": f"Bearer {receipt['access_token']}"}
    async with function_client("ticket-status") as client:
        read = await client.get(url, headers=auth)
        as_form = await client.post(url, data={"score": "5"}, headers=auth)

    assert read.status_code == 405 and read.headers["allow"] == "POST"
    assert as_form.status_code == 415
    assert await _count(db) == 0


async def test_a_post_to_the_ticket_itself_is_still_a_405(
    app_env: str, db: asyncpg.Connection
) -> None:
    receipt = await _resolved(db)
    async with function_client("ticket-status") as client:
        answer = await client.post(f"/api/v1/tickets/{receipt['ticket_number']}", json={})

    assert answer.status_code == 405 and "GET" in answer.headers["allow"]
