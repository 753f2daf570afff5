"""Health of what every function depends on: the database, the broker, and the model in use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.agent.model_choice import configured_model_name
from shared.config import Settings, get_settings
from shared.consumer_lag import consumer_lag
from shared.db import get_pool, gmail_mailboxes
from shared.db.pool import Queryable
from shared.publisher import broker_reachable
from shared.staff.inbox import waiting_counts


async def database_reachable(timeout: float = 2.0) -> bool:
    try:
        pool = await asyncio.wait_for(get_pool(), timeout)
        return bool(await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout) == 1)
    except Exception:
        return False


async def watch_health(db: Queryable, settings: Settings) -> dict[str, Any] | None:
    """The watch's state for health: None when no mailbox is configured."""
    if not settings.gmail_address:
        return None
    mailbox = await gmail_mailboxes.get(db, settings.gmail_address)
    if mailbox.watch_expires_at is None:
        return {"status": "not_watching", "expires_at": None}
    left = mailbox.watch_expires_at - datetime.now(UTC)
    if left <= timedelta(0):
        status = "lapsed"
    elif left <= timedelta(seconds=settings.gmail_watch_warn_seconds):
        status = "lapsing"
    else:
        status = "ok"
    return {"status": status, "expires_at": mailbox.watch_expires_at.isoformat()}


async def email_watch() -> dict[str, Any] | None:
    """Gmail's push watch, when an email channel is configured; a lapsed one pushes nothing."""
    try:
        return await asyncio.wait_for(watch_health(await get_pool(), get_settings()), 2.0)
    except Exception:
        return {"status": "unknown", "expires_at": None}


async def staff_queue_counts() -> dict[str, int] | dict[str, None]:
    """Tickets waiting for a person, and how many of them are past an SLA clock."""
    try:
        return await asyncio.wait_for(waiting_counts(await get_pool(), get_settings()), 2.0)
    except Exception:
        return {"waiting": None, "overdue": None}


async def lag_health(settings: Settings) -> tuple[dict[str, Any], list[str]]:
    """Each route's consumer lag, and a warning for each one past the threshold."""
    threshold = settings.consumer_lag_warn_records
    try:
        lags = await consumer_lag(settings.kafka_bootstrap_servers)
    except Exception:
        return {"threshold": threshold, "routes": None}, ["consumer lag: the broker did not say"]
    warnings = [
        f"consumer lag: {lag.group} is {lag.records} records behind (over {threshold})"
        for lag in lags
        if lag.records > threshold
    ]
    return {"threshold": threshold, "routes": {lag.group: lag.records for lag in lags}}, warnings


async def health() -> tuple[bool, dict[str, Any]]:
    database, broker = await asyncio.gather(database_reachable(), broker_reachable())
    healthy = database and broker
    body: dict[str, Any] = {
        "status": "ok" if healthy else "degraded",
        "checks": {"database": "ok" if database else "down", "broker": "ok" if broker else "down"},
        "model": configured_model_name(get_settings()),
    }
    if database and (watch := await email_watch()) is not None:
        body["gmail_watch"] = watch  # reported, not a failure: mail waits in Gmail meanwhile
    if database:
        body["staff_queue"] = await staff_queue_counts()
    if broker:  # lag is reported, not a failure: the records wait in the broker
        body["consumer_lag"], warnings = await lag_health(get_settings())
        body["warnings"] = warnings
    return healthy, body
