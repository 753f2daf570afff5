"""Gmail's watch: renewed by the daily ping, its expiry kept, and health saying when it lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from events import catalog
from shared.channels.gmail_api import gmail
from shared.channels.gmail_watch import renew_watch
from shared.config import get_settings
from shared.db import gmail_mailboxes
from shared.health import health
from tests.functions_under_test import function_client
from tests.google import SUPPORT, Google


async def _ping(event_type: str = catalog.PING) -> int:
    event = CloudEvent.create({"type": event_type, "source": "/test/ping"}, {"task": "renew"})
    headers, body = to_binary(event)
    async with function_client("gmail-watch") as client:
        return (await client.post("/", headers=headers, content=body)).status_code


async def test_the_ping_renews_the_watch_on_the_inbox_and_keeps_its_expiry(
    google: Google, db: asyncpg.Connection
) -> None:
    assert await _ping() == 200

    [watch] = google.mailbox.watches
    assert watch["topicName"] == "projects/test-project/topics/gmail"
    assert watch["labelIds"] == ["INBOX"]
    mailbox = await gmail_mailboxes.get(db, SUPPORT)
    assert mailbox.watch_expires_at is not None
    left = mailbox.watch_expires_at - datetime.now(UTC)
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    assert mailbox.history_id == google.mailbox.history_id  # reading starts here


async def test_a_renewal_never_moves_the_read_position(
    google: Google, db: asyncpg.Connection
) -> None:
    await db.execute("INSERT INTO gmail_mailboxes (address, history_id) VALUES ($1, 5)", SUPPORT)

    await renew_watch(gmail(), get_settings())

    assert (await gmail_mailboxes.get(db, SUPPORT)).history_id == 5


async def test_a_ping_of_another_type_is_refused(google: Google) -> None:
    assert await _ping("io.example.other") == 400
    assert google.mailbox.watches == []


async def test_health_reports_a_watch_about_to_lapse(
    google: Google, db: asyncpg.Connection
) -> None:
    _, before = await health()
    assert before["gmail_watch"]["status"] == "not_watching"

    await renew_watch(gmail(), get_settings())
    _, renewed = await health()
    await db.execute("UPDATE gmail_mailboxes SET watch_expires_at = now() + interval '1 day'")
    _, lapsing = await health()
    await db.execute("UPDATE gmail_mailboxes SET watch_expires_at = now() - interval '1 hour'")
    healthy, lapsed = await health()

    assert [b["gmail_watch"]["status"] for b in (renewed, lapsing, lapsed)] == [
        "ok",
        "lapsing",
        "lapsed",
    ]
    assert healthy  # mail waits in Gmail meanwhile: reported, not a failure
