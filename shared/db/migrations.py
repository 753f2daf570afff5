"""Applies the numbered files of sql/ once each, in order, and records what it applied."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from shared.db.pool import Connection

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"

_LOCK_KEY = 7_340_001  # pg_advisory_xact_lock key: one migrator at a time


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited afterwards: add a new file instead."""


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    return [Migration(p.stem, p) for p in sorted(sql_dir.glob("[0-9][0-9][0-9]_*.sql"))]


async def migrate(conn: Connection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Apply what is pending; return the versions applied now (empty when up to date)."""
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        for migration in discover(sql_dir):
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationChanged(f"{migration.path.name} changed after it was applied")
                continue
            await conn.execute(migration.path.read_text())
            await conn.execute(
                "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                migration.version,
                migration.checksum,
            )
            applied_now.append(migration.version)
    return applied_now
