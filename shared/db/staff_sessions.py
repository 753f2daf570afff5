"""Staff sessions, known by the hash of their cookie: a stolen database holds no usable session."""

from __future__ import annotations

from shared.db.pool import Connection, Queryable
from shared.db.staff import StaffMember


async def create(
    conn: Connection, token_hash: str, staff_id: object, csrf_token: str, lifetime_seconds: float
) -> None:
    await conn.execute(
        """INSERT INTO staff_sessions (token_hash, staff_id, csrf_token, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))""",
        token_hash,
        staff_id,
        csrf_token,
        lifetime_seconds,
    )


async def lookup(db: Queryable, token_hash: str) -> tuple[StaffMember, str] | None:
    """The signed-in staff member and the session's CSRF token, while the session lasts."""
    row = await db.fetchrow(
        """SELECT s.id, s.email, s.name, s.role, ss.csrf_token
           FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
           WHERE ss.token_hash = $1 AND ss.expires_at > now()""",
        token_hash,
    )
    if row is None:
        return None
    return StaffMember(row["id"], row["email"], row["name"], row["role"]), row["csrf_token"]


async def delete(conn: Connection, token_hash: str) -> None:
    await conn.execute("DELETE FROM staff_sessions WHERE token_hash = $1", token_hash)


async def prune(conn: Connection) -> None:
    await conn.execute("DELETE FROM staff_sessions WHERE expires_at <= now()")
