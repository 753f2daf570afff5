"""Staff accounts: who may sign in, with which role, and the lock after repeated failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from shared.db.pool import Connection, Queryable


@dataclass(frozen=True)
class StaffMember:
    id: UUID
    email: str
    name: str
    role: str

    def public(self) -> dict[str, str]:
        return {"id": str(self.id), "email": self.email, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class Account:
    member: StaffMember
    password_hash: str
    failed_sign_ins: int
    locked_until: datetime | None


def _member(row: asyncpg.Record) -> StaffMember:
    return StaffMember(row["id"], row["email"], row["name"], row["role"])


async def create(
    conn: Connection, *, email: str, name: str, role: str, password_hash: str
) -> StaffMember:
    """A new account; ``asyncpg.UniqueViolationError`` when the address has one already."""
    row = await conn.fetchrow(
        """INSERT INTO staff (email, name, role, password_hash) VALUES ($1, $2, $3, $4)
           RETURNING id, email, name, role""",
        email,
        name,
        role,
        password_hash,
    )
    assert row is not None
    return _member(row)


async def account(db: Queryable, email: str) -> Account | None:
    row = await db.fetchrow(
        """SELECT id, email, name, role, password_hash, failed_sign_ins, locked_until
           FROM staff WHERE email = $1""",
        email,
    )
    if row is None:
        return None
    return Account(_member(row), row["password_hash"], row["failed_sign_ins"], row["locked_until"])


async def get(db: Queryable, staff_id: UUID) -> StaffMember | None:
    row = await db.fetchrow("SELECT id, email, name, role FROM staff WHERE id = $1", staff_id)
    return _member(row) if row is not None else None


async def team(db: Queryable) -> list[StaffMember]:
    rows = await db.fetch("SELECT id, email, name, role FROM staff ORDER BY name, email")
    return [_member(r) for r in rows]


async def failed_sign_in(
    conn: Connection, staff_id: UUID, max_failures: int, lockout_seconds: float
) -> datetime | None:
    """Count a wrong password; at ``max_failures`` in a row, lock the account. The lock's end."""
    locked_until: datetime | None = await conn.fetchval(
        """UPDATE staff SET failed_sign_ins = failed_sign_ins + 1,
               locked_until = CASE WHEN failed_sign_ins + 1 >= $2
                                   THEN now() + make_interval(secs => $3) END
           WHERE id = $1 RETURNING locked_until""",
        staff_id,
        max_failures,
        lockout_seconds,
    )
    return locked_until


async def signed_in(conn: Connection, staff_id: UUID, password_hash: str | None = None) -> None:
    """A right password: the failure count starts again (and a stronger hash replaces an old one)."""
    await conn.execute(
        """UPDATE staff SET failed_sign_ins = 0, locked_until = NULL,
               password_hash = coalesce($2, password_hash) WHERE id = $1""",
        staff_id,
        password_hash,
    )


async def set_password(conn: Connection, email: str, password_hash: str) -> bool:
    status = await conn.execute(
        """UPDATE staff SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL
           WHERE email = $1""",
        email,
        password_hash,
    )
    return status.endswith(" 1")
