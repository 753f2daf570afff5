import asyncpg

from tests.functions_under_test import function_client

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


async def _submit(email: str) -> dict[str, str]:
    async with function_client("intake-web-form") as client:
        response = await client.post("/api/v1/support/form", json={**FORM, "email": email})
    assert response.status_code == 202
    return dict(response.json())


async def test_the_token_holder_sees_the_ticket(app_env: str, db: asyncpg.Connection) -> None:
    receipt = await _submit("ada@example.com")
    async with function_client("ticket-status") as client:
        by_query = await client.get(
            f"/api/v1/tickets/{receipt['ticket_number']}", params={"token": receipt["access_token"]}
        )
        by_header = await client.get(
            f"/api/v1/tickets/{receipt['ticket_number']}",
            headers={"authorization": f"Bearer {receipt['access_token']}"},
        )
    assert by_query.status_code == by_header.status_code == 200
    body = by_query.json()
    assert (body["ticket_number"], body["status"], body["subject"]) == (
        "TKT-0001",
        "received",
        "Reset password",
    )
    assert "access_token_hash" not in body and "customer_id" not in body


async def test_no_token_a_wrong_token_or_another_tickets_token_all_look_like_404(
    app_env: str,
    db: asyncpg.Connection,
) -> None:
    mine = await _submit("ada@example.com")
    theirs = await _submit("grace@example.com")
    async with function_client("ticket-status") as client:
        url = f"/api/v1/tickets/{mine['ticket_number']}"
        answers = [
            await client.get(url),
            await client.get(url, params={"token": "guess"}),
            await client.get(url, params={"token": theirs["access_token"]}),
            await client.get("/api/v1/tickets/TKT-9999", params={"token": mine["access_token"]}),
            await client.get(
                "/api/v1/tickets/not-a-ticket", params={"token": mine["access_token"]}
            ),
        ]
    assert [a.status_code for a in answers] == [404] * 5
    assert all("Reset password" not in a.text for a in answers)
