"""The status page's read model: a ticket and its thread, for the holder of its token only."""

from __future__ import annotations

import re
from typing import Any

from shared.access import token_matches
from shared.db import get_pool, messages, ratings, tickets
from shared.db.pool import Connection

TICKET_NUMBER = re.compile(r"^TKT-\d{4,}$")


async def ticket_for_token(
    conn: Connection, ticket_number: str, token: str | None
) -> tickets.Ticket | None:
    """The ticket, or None when it does not exist or the token is not its token: both look the same."""
    if not TICKET_NUMBER.match(ticket_number):
        return None
    ticket = await tickets.get_by_number(conn, ticket_number)
    if ticket is None or not token_matches(token, ticket.access_token_hash):
        return None
    return ticket


async def ticket_view(ticket_number: str, token: str | None) -> dict[str, Any] | None:
    pool = await get_pool()
    async with pool.acquire() as conn:
        ticket = await ticket_for_token(conn, ticket_number, token)
        if ticket is None:
            return None
        thread = await messages.for_ticket(conn, ticket.id)
        rated = await ratings.for_ticket(conn, ticket.id)
    view = tickets.public_view(ticket, thread)
    view["ratings"] = [r.public() for r in rated]  # the status page offers one once resolved
    return view
