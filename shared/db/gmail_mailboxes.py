"""How far the email channel has read each Gmail mailbox, and until when Gmail pushes to us."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class Mailbox:
    address: str
    history_id: int | None
    watch_expires_at: datetime | None


async def get(db: Queryable, address: str) -> Mailbox:
    row = await db.fetchrow(
        "SELECT history_id, watch_expires_at FROM gmail_mailboxes WHERE address = $1", address
    )
    if row is None:
        return Mailbox(address, None, None)
    return Mailbox(address, row["history_id"], row["watch_expires_at"])


async def lock(conn: Connection, address: str) -> Mailbox:
    """The mailbox's row, locked until the transaction ends: one sync records at a time."""
    await conn.execute(
        "INSERT INTO gmail_mailboxes (address) VALUES ($1) ON CONFLICT DO NOTHING", address
    )
    row = await conn.fetchrow(
        "SELECT history_id, watch_expires_at FROM gmail_mailboxes WHERE address = $1 FOR UPDATE",
        address,
    )
    assert row is not None
    return Mailbox(address, row["history_id"], row["watch_expires_at"])


async def advance(conn: Connection, address: str, history_id: int) -> None:
    """Move the read position forward, never back (a late push carries an older id)."""
    await conn.execute(
        """INSERT INTO gmail_mailboxes (address, history_id, synced_at) VALUES ($1, $2, now())
           ON CONFLICT (address) DO UPDATE
           SET history_id = greatest(gmail_mailboxes.history_id, EXCLUDED.history_id),
               synced_at = now()""",
        address,
        history_id,
    )


async def record_watch(
    conn: Connection, address: str, expires_at: datetime, history_id: int
) -> None:
    """A renewed watch; its history id is where reading starts if nothing was read yet."""
    await conn.execute(
        """INSERT INTO gmail_mailboxes (address, history_id, watch_expires_at, watched_at)
           VALUES ($1, $2, $3, now())
           ON CONFLICT (address) DO UPDATE
           SET watch_expires_at = EXCLUDED.watch_expires_at, watched_at = now(),
               history_id = coalesce(gmail_mailboxes.history_id, EXCLUDED.history_id)""",
        address,
        history_id,
        expires_at,
    )
