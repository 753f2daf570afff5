"""The system-wide budget of agent runs: a token bucket in one row, locked for an instant."""

from __future__ import annotations

from shared.db.pool import Connection


async def take(conn: Connection, per_second: float, burst: float) -> float:
    """Take one run: 0 when taken, else the seconds until one is there (nothing taken)."""
    async with conn.transaction():
        available = float(
            await conn.fetchval(
                """SELECT least($2, tokens + extract(epoch FROM clock_timestamp() - updated_at)
                                             * $1)
                   FROM agent_capacity WHERE id = 1 FOR UPDATE""",
                per_second,
                burst,
            )
        )
        taken = available >= 1
        await conn.execute(
            "UPDATE agent_capacity SET tokens = $1, updated_at = clock_timestamp() WHERE id = 1",
            available - 1 if taken else available,
        )
    return 0.0 if taken else (1 - available) / per_second
