"""Per-channel behaviour over a window, for ops: ``GET /api/v1/metrics/channels?since=…``.

``since`` is an ISO-8601 time (a time without an offset is UTC) or a duration back from now:
a number and a unit, ``90s``, ``30m``, ``24h``, ``7d``; absent or empty, the last day. The figures come from the stored rows
(``shared.db.channel_metrics``); rates are shares of the window's tickets, ``None`` without any.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from events.models import Channel
from shared.db import channel_metrics as queries
from shared.db.pool import Queryable
from shared.http_api import BadRequest

CHANNELS: tuple[str, ...] = get_args(Channel)
DEFAULT_SINCE = "24h"
MAX_WINDOW = timedelta(days=3660)
_DURATION = re.compile(r"^(?P<amount>\d{1,7})(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str | None, now: datetime) -> datetime:
    """The window's start; BadRequest (400) naming what is wrong with ``text``."""
    text = (text or DEFAULT_SINCE).strip()
    duration = _DURATION.match(text)
    if duration:
        window = timedelta(**{_UNITS[duration["unit"]]: int(duration["amount"])})
        since = now - min(window, MAX_WINDOW + timedelta(days=1))  # past the cap: refused below
    else:
        try:
            since = datetime.fromisoformat(text)
        except ValueError:
            raise BadRequest(
                400, "since: give an ISO-8601 time or a duration such as 90s, 30m, 24h or 7d"
            ) from None
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
    if since > now:
        raise BadRequest(400, "since: that time is in the future")
    if now - since > MAX_WINDOW:
        raise BadRequest(400, f"since: the window may be at most {MAX_WINDOW.days} days")
    return since


def _rate(count: int, total: int) -> float | None:
    return count / total if total else None


async def channel_report(db: Queryable, since: datetime, now: datetime) -> dict[str, Any]:
    """Every channel's figures since ``since``: zeros (and no rates) where nothing happened."""
    messages = await queries.messages(db, since)
    tickets = await queries.tickets(db, since)
    reasons = await queries.escalation_reasons(db, since)
    agent = await queries.agent(db, since)
    dead = await queries.dead_letters(db, since)
    channels: dict[str, Any] = {}
    for channel in CHANNELS:
        m = messages.get(channel, {})
        t = tickets.get(channel, {})
        a = agent.get(channel, {})
        opened = int(t.get("tickets", 0))
        escalated, resolved, answered = (
            int(t.get(k, 0)) for k in ("escalated", "resolved", "answered")
        )
        channels[channel] = {
            "messages_in": int(m.get("messages_in", 0)),
            "tickets": opened,
            "reply_latency_ms": {
                "replied": int(m.get("replied", 0)),
                "p50": m.get("reply_p50_ms"),
                "p95": m.get("reply_p95_ms"),
            },
            "escalation": {
                "escalated": escalated,
                "rate": _rate(escalated, opened),
                "by_reason": {
                    reason: {"tickets": n, "rate": _rate(n, opened)}
                    for reason, n in sorted(reasons.get(channel, {}).items())
                },
            },
            "sentiment": {
                "messages": int(a.get("handled", 0)),
                "mean": a.get("mean_sentiment"),
                "mean_frustration": a.get("mean_frustration"),
            },
            "resolution": {
                "resolved": resolved,
                "answered": answered,
                "rate": _rate(resolved + answered, opened),
            },
            "dead_letters": dead.get(channel, 0),
        }
    return {
        "since": since.isoformat(),
        "until": now.isoformat(),
        "channels": channels,
        "dead_letters_without_channel": sum(n for c, n in dead.items() if c not in CHANNELS),
    }
