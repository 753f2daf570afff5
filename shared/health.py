"""Health of what every function depends on: the database, the broker, and the model in use."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.agent.models import configured_model_name
from shared.config import get_settings
from shared.db import get_pool
from shared.publisher import broker_reachable


async def database_reachable(timeout: float = 2.0) -> bool:
    try:
        pool = await asyncio.wait_for(get_pool(), timeout)
        return bool(await asyncio.wait_for(pool.fetchval("SELECT 1"), timeout) == 1)
    except Exception:
        return False


async def health() -> tuple[bool, dict[str, Any]]:
    database, broker = await asyncio.gather(database_reachable(), broker_reachable())
    healthy = database and broker
    return healthy, {
        "status": "ok" if healthy else "degraded",
        "checks": {"database": "ok" if database else "down", "broker": "ok" if broker else "down"},
        "model": configured_model_name(get_settings()),
    }
