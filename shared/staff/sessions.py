"""Signing staff in and out: Argon2 passwords, a lock after repeated failures, sessions known by
the hash of an HttpOnly cookie, and a CSRF token per session for every change."""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from datetime import UTC, datetime

from shared.access import hash_token
from shared.config import Settings
from shared.db import get_pool, staff, staff_sessions
from shared.db.staff import StaffMember
from shared.identity import InvalidIdentifier, normalize_email
from shared.staff.errors import StaffRefused
from shared.staff.passwords import hash_password, needs_rehash, verify

COOKIE = "fte_staff"
WRONG = "wrong email or password"


class Session:
    def __init__(self, token: str, csrf_token: str, member: StaffMember) -> None:
        self.token, self.csrf_token, self.member = token, csrf_token, member

    def public(self) -> dict[str, object]:
        return {"staff": self.member.public(), "csrf_token": self.csrf_token}


def _locked(until: datetime) -> StaffRefused:
    wait = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
    return StaffRefused(
        429,
        "too many wrong passwords: this account is locked for now",
        {"retry-after": str(wait)},
    )


async def sign_in(email: str, password: str, settings: Settings) -> Session:
    """A new session for the right password; 401 otherwise, 429 while the account is locked."""
    try:
        address = normalize_email(email)
    except InvalidIdentifier:
        raise StaffRefused(401, WRONG) from None
    pool = await get_pool()
    account = await staff.account(pool, address)
    if account is not None and account.locked_until and account.locked_until > datetime.now(UTC):
        raise _locked(account.locked_until)
    stored = account.password_hash if account is not None else None
    if not await asyncio.to_thread(verify, stored, password) or account is None:
        if account is not None:
            async with pool.acquire() as conn:
                locked_until = await staff.failed_sign_in(
                    conn,
                    account.member.id,
                    settings.staff_max_failed_sign_ins,
                    settings.staff_lockout_seconds,
                )
            if locked_until is not None:
                raise _locked(locked_until)
        raise StaffRefused(401, WRONG)
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    rehashed = hash_password(password) if needs_rehash(account.password_hash) else None
    async with pool.acquire() as conn, conn.transaction():
        await staff.signed_in(conn, account.member.id, rehashed)
        await staff_sessions.prune(conn)
        await staff_sessions.create(
            conn,
            hash_token(token),
            account.member.id,
            csrf_token,
            settings.staff_session_hours * 3600,
        )
    return Session(token, csrf_token, account.member)


async def current(token: str | None) -> Session:
    """The session this cookie opens; 401 without one, or when it ended."""
    if not token:
        raise StaffRefused(401, "sign in first")
    found = await staff_sessions.lookup(await get_pool(), hash_token(token))
    if found is None:
        raise StaffRefused(401, "your session has ended: sign in again")
    member, csrf_token = found
    return Session(token, csrf_token, member)


def check_csrf(session: Session, given: str | None) -> None:
    if not given or not hmac.compare_digest(session.csrf_token, given):
        raise StaffRefused(403, "missing or wrong CSRF token (X-CSRF-Token)")


async def sign_out(session: Session) -> None:
    pool = await get_pool()
    async with pool.acquire() as conn:
        await staff_sessions.delete(conn, hash_token(session.token))


async def add_account(email: str, name: str, role: str, password: str) -> StaffMember:
    """``fte staff add``: a new account; raises ValueError for a weak password or a bad address."""
    address = normalize_email(email)
    if role not in ("agent", "admin"):
        raise ValueError("the role is agent or admin")
    password_hash = await asyncio.to_thread(hash_password, password)
    pool = await get_pool()
    async with pool.acquire() as conn:
        return await staff.create(
            conn,
            email=address,
            name=name.strip() or address,
            role=role,
            password_hash=password_hash,
        )
