"""What a person on the support team does with the tickets the agent hands over.

Roles: an agent acts on tickets that are theirs or nobody's (a colleague's ticket they may read,
not change); an admin acts on every ticket. Private notes are their author's alone. Every action
is recorded (``staff_actions``). A person's answer is a ``support.reply.ready`` like the agent's,
on the channel the customer last wrote on, so it goes out through the same senders, once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from events import catalog
from shared.config import Settings, get_settings
from shared.db import (
    get_pool,
    idempotency,
    ratings,
    staff,
    staff_actions,
    staff_queue,
    ticket_notes,
    tickets,
)
from shared.db.pool import Connection
from shared.db.staff import StaffMember
from shared.db.tickets import Ticket
from shared.ratings.asking import ask_for_rating
from shared.relay import Outgoing, keep, publish_committed
from shared.staff.errors import StaffRefused
from shared.staff.sla import clocks
from shared.text import clean_text
from shared.ticket_replies import plan_reply

SOURCE = catalog.source_of("staff-api")
VIEWS = ("waiting", "mine", "all")
MAX_TEXT = 5_000


def _item(row: asyncpg.Record, settings: Settings, now: datetime) -> dict[str, Any]:
    sla = clocks(
        settings, row["priority"], row["created_at"], row["first_response_at"], row["resolved_at"]
    )
    assignee = None
    if row["assignee_id"] is not None:
        assignee = {
            "id": str(row["assignee_id"]),
            "name": row["assignee_name"],
            "email": row["assignee_email"],
        }
    waiting_since = row["waiting_since"] or row["updated_at"]
    return {
        "ticket_number": row["ticket_number"],
        "subject": row["subject"],
        "channel": row["channel"],
        "priority": row["priority"],
        "status": row["status"],
        "escalation_reason": row["escalation_reason"],
        "customer": {"name": row["customer_name"], "email": row["email"], "phone": row["phone"]},
        "waiting_since": waiting_since.isoformat(),
        "assigned_to": assignee,
        "sla": sla.public(now),
        "created_at": row["created_at"].isoformat(),
    }


async def queue(member: StaffMember, view: str) -> dict[str, Any]:
    if view not in VIEWS:
        raise StaffRefused(422, f"view is one of {', '.join(VIEWS)}")
    settings, now = get_settings(), datetime.now(UTC)
    pool = await get_pool()
    rows = await staff_queue.queue(pool, view, member.id)
    items = [_item(r, settings, now) for r in rows]
    return {"tickets": items, "counts": await waiting_counts(pool, settings, now)}


async def waiting_counts(
    db: Any, settings: Settings, now: datetime | None = None
) -> dict[str, int]:
    """How many tickets wait for a person, and how many of them are past an SLA clock."""
    now = now or datetime.now(UTC)
    rows = await staff_queue.waiting_clocks(db)
    overdue = sum(
        clocks(
            settings, r["priority"], r["created_at"], r["first_response_at"], r["resolved_at"]
        ).overdue(now)
        for r in rows
    )
    return {"waiting": len(rows), "overdue": overdue}


async def _ticket(db: Any, number: str) -> Ticket:
    ticket = await tickets.get_by_number(db, number.upper())
    if ticket is None:
        raise StaffRefused(404, f"no ticket {number}")
    return ticket


def _may_change(member: StaffMember, ticket: Ticket, assigned_to: UUID | None) -> None:
    if member.role == "admin" or assigned_to in (None, member.id):
        return
    raise StaffRefused(403, f"{ticket.ticket_number} is a colleague's ticket: ask them or an admin")


async def _assignee(conn: Connection, ticket: Ticket) -> UUID | None:
    value = await conn.fetchval("SELECT assigned_to FROM tickets WHERE id = $1", ticket.id)
    return value if isinstance(value, UUID) else None


async def ticket_view(member: StaffMember, number: str) -> dict[str, Any]:
    settings, now = get_settings(), datetime.now(UTC)
    pool = await get_pool()
    ticket = await _ticket(pool, number)
    row = await staff_queue.item(pool, ticket.ticket_number)
    assert row is not None
    history = await staff_queue.history(pool, ticket.customer_id) if ticket.customer_id else []
    return {
        "ticket": _item(row, settings, now),
        "history": history,
        "notes": await ticket_notes.visible_to(pool, ticket.id, member.id),
        "actions": await staff_actions.for_ticket(pool, ticket.id),
        "ratings": [r.public() for r in await ratings.for_ticket(pool, ticket.id)],
    }


def _text(body: str, what: str) -> str:
    text = clean_text(body).strip()
    if not text:
        raise StaffRefused(422, f"the {what} is empty")
    if len(text) > MAX_TEXT:
        raise StaffRefused(422, f"the {what} is longer than {MAX_TEXT} characters")
    return text


async def answer(
    member: StaffMember, number: str, body: str, idempotency_key: str | None = None
) -> dict[str, str]:
    """A person's answer, on the channel the customer last wrote on; 202 once it is committed."""
    text = _text(body, "answer")
    request_hash = hashlib.sha256(text.encode()).hexdigest()
    scope = f"staff-reply:{number.upper()}"
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket(conn, number)
        if idempotency_key is not None:
            try:
                earlier = await idempotency.recall(conn, scope, idempotency_key, request_hash)
            except idempotency.KeyReused as exc:
                raise StaffRefused(422, str(exc)) from exc
            if earlier is not None:
                return {"message_id": str(earlier["message_id"])}
        _may_change(member, ticket, await _assignee(conn, ticket))
        outgoing, message_id = await _plan_answer(conn, member, ticket, text)
        await keep(conn, [outgoing])
        await staff_queue.answered_by_staff(conn, ticket.id)
        await staff_actions.record(
            conn, member.id, ticket.id, "answered", {"message_id": str(message_id)}
        )
        response = {"message_id": str(message_id)}
        if idempotency_key is not None:
            await idempotency.remember(conn, scope, idempotency_key, request_hash, response)
    await publish_committed([outgoing])
    return response


async def _plan_answer(
    conn: Connection, member: StaffMember, ticket: Ticket, text: str
) -> tuple[Outgoing, UUID]:
    answered = await staff_queue.latest_inbound(conn, ticket.id)
    if answered is None or ticket.customer_id is None:
        raise StaffRefused(409, f"{ticket.ticket_number} has no customer message to answer")
    return await plan_reply(
        conn, ticket, answered, text, source=SOURCE, role="staff", author_staff_id=member.id
    )


async def add_note(member: StaffMember, number: str, body: str, private: bool) -> dict[str, str]:
    text = _text(body, "note")
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket(conn, number)
        note_id = await ticket_notes.add(conn, ticket.id, member.id, text, private)
        await staff_actions.record(
            conn, member.id, ticket.id, "noted", {"note_id": str(note_id), "private": private}
        )
    return {"id": str(note_id)}


async def assign(member: StaffMember, number: str, staff_id: UUID | None) -> dict[str, Any]:
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket(conn, number)
        _may_change(member, ticket, await _assignee(conn, ticket))
        if staff_id is not None and await staff.get(conn, staff_id) is None:
            raise StaffRefused(422, "no such colleague")
        await staff_queue.assign(conn, ticket.id, staff_id)
        detail = {"to": str(staff_id) if staff_id else None}
        await staff_actions.record(conn, member.id, ticket.id, "assigned", detail)
    return await _fresh_item(number)


async def set_resolved(member: StaffMember, number: str, resolved: bool) -> dict[str, Any]:
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await _ticket(conn, number)
        _may_change(member, ticket, await _assignee(conn, ticket))
        asking: list[Outgoing] = []
        if resolved:
            await staff_queue.resolve(conn, ticket.id)
            if (question := await ask_for_rating(conn, ticket)) is not None:
                asking.append(question)
                await keep(conn, asking)
        else:
            await staff_queue.reopen(conn, ticket.id)
        action = "resolved" if resolved else "reopened"
        await staff_actions.record(conn, member.id, ticket.id, action)
    await publish_committed(asking)
    return await _fresh_item(number)


async def _fresh_item(number: str) -> dict[str, Any]:
    row = await staff_queue.item(await get_pool(), number.upper())
    assert row is not None
    return {"ticket": _item(row, get_settings(), datetime.now(UTC))}


async def team() -> dict[str, Any]:
    return {"staff": [m.public() for m in await staff.team(await get_pool())]}
