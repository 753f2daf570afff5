"""Idempotency keys of the intake endpoints: a client's retry gets the first answer again."""

from __future__ import annotations

from typing import Any

from shared.db.pool import Connection


class KeyReused(ValueError):
    """The same Idempotency-Key came with a different request."""


async def recall(
    conn: Connection, scope: str, key: str, request_hash: str
) -> dict[str, Any] | None:
    """The response stored for this key, or None when it is new.

    Takes a transaction-scoped lock on the key first, so a concurrent request with the same key
    waits for this transaction and then finds its response.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 1))", f"{scope}\n{key}")
    row = await conn.fetchrow(
        "SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
        scope,
        key,
    )
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise KeyReused("this Idempotency-Key was used for a different request")
    return row["response"]  # type: ignore[no-any-return]


async def remember(
    conn: Connection, scope: str, key: str, request_hash: str, response: dict[str, Any]
) -> None:
    await conn.execute(
        """INSERT INTO idempotency_keys (scope, key, request_hash, response)
           VALUES ($1, $2, $3, $4)""",
        scope,
        key,
        request_hash,
        response,
    )


async def prune(conn: Connection, older_than_s: float) -> int:
    status = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
        older_than_s,
    )
    return int(status.split()[-1])
