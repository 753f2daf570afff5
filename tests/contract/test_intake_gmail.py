"""POST /api/v1/webhooks/gmail, through the real function: only Google's pushes for our
subscription are read (401/403 otherwise, nothing recorded), and 200 means recorded."""

from __future__ import annotations

import time

import asyncpg
import pytest

from shared.devstack.standins.push_signer import PushSigner
from tests.functions_under_test import function_client
from tests.google import AUDIENCE, PUSHER, Google, customer_mail


async def _post(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, object]]:
    async with function_client("intake-gmail") as client:
        response = await client.post("/api/v1/webhooks/gmail", headers=headers, content=body)
    return response.status_code, response.json()


async def _recorded(db: asyncpg.Connection) -> tuple[int, int]:
    return (
        await db.fetchval("SELECT count(*) FROM email_messages"),
        await db.fetchval("SELECT count(*) FROM tickets"),
    )


async def test_a_genuine_push_is_read_and_answered_200_once_the_mail_is_recorded(
    google: Google, db: asyncpg.Connection
) -> None:
    google.deliver(customer_mail())

    status, body = await _post(*google.push())

    assert (status, body["filed"]) == (200, 1)
    assert await _recorded(db) == (1, 1)


async def test_a_push_delivered_twice_files_the_mail_once(
    google: Google, db: asyncpg.Connection
) -> None:
    google.deliver(customer_mail())
    push = google.push()

    first, again = await _post(*push), await _post(*push)

    assert (first[0], first[1]["filed"]) == (200, 1)
    assert (again[0], again[1]["filed"]) == (200, 0)
    assert await _recorded(db) == (1, 1)


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no token", 401),
        ("not a bearer token", 401),
        ("garbage", 401),
        ("another signer's key", 401),
        ("expired", 401),
        ("not issued by Google", 401),
        ("another audience", 403),
        ("another service account", 403),
    ],
)
async def test_a_push_that_is_not_ours_is_refused_and_nothing_is_read(
    google: Google, db: asyncpg.Connection, case: str, status: int
) -> None:
    google.deliver(customer_mail())
    _, body = google.push()
    signer, now = google.standin.signer, int(time.time())
    forged = {
        "no token": {},
        "not a bearer token": {"authorization": "Basic dXNlcjpwYXNz"},
        "garbage": _bearer("not.a.jwt"),
        "another signer's key": _bearer(
            PushSigner(kid=signer.kid).mint(audience=AUDIENCE, email=PUSHER)
        ),
        "expired": google.push(issued_at=now - 7200, lifetime=3600)[0],
        "not issued by Google": _bearer(
            signer.mint(audience=AUDIENCE, email=PUSHER, issuer="https://evil.example")
        ),
        "another audience": google.push(audience="https://elsewhere.example/push")[0],
        "another service account": google.push(email="someone@evil.iam.gserviceaccount.com")[0],
    }[case]

    answered, answer = await _post(forged, body)

    assert answered == status and answer["detail"]
    assert await _recorded(db) == (0, 0)
    assert google.mailbox.access_tokens == set()  # Gmail was not even asked


async def test_a_body_that_is_not_a_gmail_notification_is_400(
    google: Google, db: asyncpg.Connection
) -> None:
    headers, _ = google.push()

    status, body = await _post(headers, b'{"message": {"data": "not base64!"}}')

    assert status == 400 and "not a Gmail push notification" in str(body["detail"])
    assert await _recorded(db) == (0, 0)


async def test_a_push_for_another_mailbox_is_acknowledged_and_ignored(
    google: Google, db: asyncpg.Connection
) -> None:
    google.deliver(customer_mail())

    status, body = await _post(*google.push(address="someone-else@northwind.example"))

    assert (status, body["other_mailbox"]) == (200, True)
    assert await _recorded(db) == (0, 0)


async def test_gmail_being_down_is_503_so_pubsub_delivers_the_push_again(
    google: Google, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.channels.gmail_api import gmail
    from shared.config import get_settings

    google.deliver(customer_mail())
    push = google.push()
    monkeypatch.setenv("GMAIL_API_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    gmail.cache_clear()

    status, body = await _post(*push)

    assert status == 503 and "Gmail did not answer" in str(body["detail"])
    assert await _recorded(db) == (0, 0)


async def test_only_post_is_allowed(google: Google) -> None:
    async with function_client("intake-gmail") as client:
        response = await client.get("/api/v1/webhooks/gmail")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
