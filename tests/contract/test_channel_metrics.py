"""ops' GET /api/v1/metrics/channels: figures equal to what the stored rows say."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from cloudevents.http import CloudEvent

from shared.db import agent_metrics, conversations, customers, dead_letters, messages, tickets
from shared.db.pool import get_pool
from shared.db.staff_queue import resolve
from tests.functions_under_test import function_client


async def _ticket(conn: asyncpg.Connection, channel: str, who: str) -> tickets.Ticket:
    customer = await customers.resolve_customer(conn, email=f"{who}@example.com", phone=None)
    conversation = await conversations.open_or_resume(conn, customer, channel)
    return await tickets.create(
        conn,
        customer_id=customer,
        conversation_id=conversation,
        channel=channel,
        subject=None,
        category=None,
        priority="medium",
        access_token_hash=None,
    )


async def _message(conn: asyncpg.Connection, ticket: tickets.Ticket, role: str) -> UUID:
    assert ticket.conversation_id is not None
    return await messages.record(
        conn,
        conversation_id=ticket.conversation_id,
        ticket_id=ticket.id,
        channel=ticket.channel,
        direction="inbound" if role == "customer" else "outbound",
        role=role,
        content="text",
        event_id=None,
    )


async def _handled(
    conn: asyncpg.Connection, ticket: tickets.Ticket, sentiment: float, reason: str | None = None
) -> None:
    await agent_metrics.record(
        conn,
        event_id=f"evt-{ticket.ticket_number}-{sentiment}",
        ticket_id=ticket.id,
        channel=ticket.channel,
        model="offline-deterministic-v1",
        latency_ms=1.0,
        tools_called=["create_ticket"],
        escalation_reason=reason,
        sentiment=sentiment,
        frustration=1.0 - sentiment,
    )


async def _dead_letter(conn: asyncpg.Connection, ticket: tickets.Ticket, n: int) -> None:
    event = CloudEvent.create(
        {
            "id": f"dead-{ticket.ticket_number}-{n}",
            "type": "io.digitalfte.support.reply.ready",
            "source": "/agent-runner",
            "channel": ticket.channel,
            "knativeerrorcode": "500",
        },
        {"ticket_number": ticket.ticket_number},
    )
    await dead_letters.record(conn, event, ticket.ticket_number)


async def _fill(conn: asyncpg.Connection) -> datetime:
    """Rows before the window's start (which it returns) and known rows after it."""
    old = await _ticket(conn, "web_form", "old")
    await _message(conn, old, "customer")
    await tickets.set_status(conn, old.id, "escalated", "pricing")
    await _dead_letter(conn, old, 0)
    since: datetime = await conn.fetchval("SELECT clock_timestamp()")

    quick = await _ticket(conn, "web_form", "ana")
    await _message(conn, quick, "customer")
    await _message(conn, quick, "customer")  # wrote twice before the answer
    await _message(conn, quick, "agent")
    await _message(conn, quick, "customer")
    await _message(conn, quick, "agent")
    await _handled(conn, quick, 0.8)
    await _handled(conn, quick, 0.6)
    await tickets.set_status(conn, quick.id, "answered")

    handed = await _ticket(conn, "web_form", "ben")
    await _message(conn, handed, "customer")
    await _handled(conn, handed, 0.1, "negative_sentiment")
    await tickets.set_status(conn, handed.id, "escalated", "negative_sentiment")
    await _message(conn, handed, "staff")
    await resolve(conn, handed.id)
    await _dead_letter(conn, handed, 1)

    waiting = await _ticket(conn, "web_form", "cy")
    await _message(conn, waiting, "customer")  # no answer yet

    phone = await _ticket(conn, "whatsapp", "dee")
    await _message(conn, phone, "customer")
    await tickets.set_status(conn, phone.id, "escalated", "human_requested")
    await _dead_letter(conn, phone, 2)
    return since


def _percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks, as Postgres' percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _flat(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``, so floats compare with a tolerance at every depth."""
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[prefix + key] = value
    return flat


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


async def _expected(conn: asyncpg.Connection, since: datetime, channel: str) -> dict[str, Any]:
    """The figures, worked out here from the rows themselves."""
    rows = await conn.fetch("SELECT * FROM messages WHERE channel = $1", channel)
    asked = [r for r in rows if r["role"] == "customer" and r["created_at"] >= since]
    latencies = []
    for message in asked:
        answers = [
            r["created_at"]
            for r in rows
            if r["ticket_id"] == message["ticket_id"]
            and r["role"] in ("agent", "staff")
            and r["created_at"] >= message["created_at"]
        ]
        if answers:
            latencies.append((min(answers) - message["created_at"]) / timedelta(milliseconds=1))
    opened = [
        t
        for t in await conn.fetch("SELECT * FROM tickets WHERE channel = $1", channel)
        if t["created_at"] >= since
    ]
    escalated = [t for t in opened if t["escalated_at"] is not None]
    reasons = sorted({t["escalation_reason"] for t in escalated})
    done = [t for t in opened if t["status"] in ("answered", "resolved")]
    handled = [
        r
        for r in await conn.fetch("SELECT * FROM agent_metrics WHERE channel = $1", channel)
        if r["created_at"] >= since
    ]
    dead = [
        d
        for d in await conn.fetch("SELECT * FROM dead_letters")
        if d["created_at"] >= since and d["attributes"].get("channel") == channel
    ]
    n = len(opened)
    return {
        "messages_in": len(asked),
        "tickets": n,
        "reply_latency_ms": {
            "replied": len(latencies),
            "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95),
        },
        "escalation": {
            "escalated": len(escalated),
            "rate": len(escalated) / n if n else None,
            "by_reason": {
                reason: {
                    "tickets": sum(t["escalation_reason"] == reason for t in escalated),
                    "rate": sum(t["escalation_reason"] == reason for t in escalated) / n,
                }
                for reason in reasons
            },
        },
        "sentiment": {
            "messages": len(handled),
            "mean": _mean([r["sentiment"] for r in handled]),
            "mean_frustration": _mean([r["frustration"] for r in handled]),
        },
        "resolution": {
            "resolved": sum(t["status"] == "resolved" for t in opened),
            "answered": sum(t["status"] == "answered" for t in opened),
            "rate": len(done) / n if n else None,
        },
        "dead_letters": len(dead),
    }


async def test_channel_figures_equal_what_the_rows_they_come_from_say(app_env: str) -> None:
    pool = await get_pool()
    async with pool.acquire() as conn:
        since = await _fill(conn)
        expected = {c: await _expected(conn, since, c) for c in ("web_form", "email", "whatsapp")}
    async with function_client("ops") as client:
        response = await client.get("/api/v1/metrics/channels", params={"since": since.isoformat()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert datetime.fromisoformat(body["since"]) == since
    for channel, figures in expected.items():
        got, want = _flat(body["channels"][channel]), _flat(figures)
        assert got.keys() == want.keys(), channel
        for key, value in want.items():
            assert got[key] == (value if value is None else pytest.approx(value)), (channel, key)
    # and the rows say what the test wrote, so the comparison above is not empty
    web = body["channels"]["web_form"]
    assert (web["messages_in"], web["tickets"], web["reply_latency_ms"]["replied"]) == (5, 3, 4)
    assert web["escalation"]["by_reason"] == {"negative_sentiment": {"tickets": 1, "rate": 1 / 3}}
    assert (web["resolution"]["rate"], web["dead_letters"]) == (2 / 3, 1)
    assert body["channels"]["whatsapp"]["escalation"]["rate"] == 1.0
    assert body["channels"]["email"]["tickets"] == 0
    assert body["channels"]["email"]["escalation"]["rate"] is None


async def test_channel_figures_default_to_the_last_day(app_env: str) -> None:
    pool = await get_pool()
    async with pool.acquire() as conn:
        await _fill(conn)
    async with function_client("ops") as client:
        response = await client.get("/api/v1/metrics/channels")
    assert response.status_code == 200
    body = response.json()
    window = datetime.fromisoformat(body["until"]) - datetime.fromisoformat(body["since"])
    assert window == timedelta(hours=24)
    assert body["channels"]["web_form"]["tickets"] == 4  # the "old" one is seconds old


@pytest.mark.parametrize(
    "since", ["yesterday", "24", "5x", "-3h", "2999-01-01T00:00:00Z", "99999d"]
)
async def test_channel_figures_refuse_a_since_that_is_no_time_or_duration_with_400(
    app_env: str, since: str
) -> None:
    async with function_client("ops") as client:
        response = await client.get("/api/v1/metrics/channels", params={"since": since})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("since: ")


async def test_channel_figures_accept_durations_in_seconds_to_days(app_env: str) -> None:
    async with function_client("ops") as client:
        for since, window in (("90s", 90), ("30m", 1800), ("7d", 7 * 86400)):
            body = (await client.get("/api/v1/metrics/channels", params={"since": since})).json()
            start, end = (datetime.fromisoformat(body[k]) for k in ("since", "until"))
            assert (end - start).total_seconds() == window, since
