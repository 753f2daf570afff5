"""The process's asyncpg pool, created on first use so import and cold start stay cheap."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    #: What the query modules take: a plain connection or one borrowed from the pool.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    #: For a single read: a connection, or the pool (which borrows one for just that query).
    Queryable: TypeAlias = Connection | asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Queryable = asyncpg.Connection

from shared.config import get_settings

_pool: asyncpg.Pool | None = None
_lock = asyncio.Lock()


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """What a released connection needs before its next use: nothing beyond what asyncpg does
    anyway (an open transaction is rolled back). asyncpg's default reset is one more round trip
    on every release (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL), and this code leaves
    none of that behind: its advisory locks are transaction-scoped, it opens no cursor outside a
    transaction, listens to nothing, and what it SETs it sets LOCAL or RESETs itself."""


async def get_pool() -> asyncpg.Pool:
    global _pool
    if _pool is None:
        async with _lock:
            if _pool is None:
                settings = get_settings()
                _pool = await asyncpg.create_pool(
                    settings.database_url,
                    min_size=settings.db_pool_min_size,
                    max_size=settings.db_pool_max_size,
                    init=_init_connection,
                    reset=_nothing_to_reset,
                )
    return _pool


async def close_pool() -> None:
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        await pool.close()
