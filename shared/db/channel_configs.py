"""Per-channel settings: the longest reply a channel takes, and its style."""

from __future__ import annotations

from shared.db.pool import Queryable

DEFAULT_MAX_RESPONSE_LENGTH = 2000


async def max_response_length(db: Queryable, channel: str) -> int:
    limit = await db.fetchval(
        "SELECT max_response_length FROM channel_configs WHERE channel = $1", channel
    )
    return int(limit or DEFAULT_MAX_RESPONSE_LENGTH)
