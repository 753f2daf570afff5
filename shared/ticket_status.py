"""The status page's read model: a ticket and its thread, for the holder of its token only."""

from __future__ import annotations

import re
from typing import Any

from shared.access import token_matches
from shared.db import get_pool, messages, tickets

TICKET_NUMBER = re.compile(r"^TKT-\d{4,}$")


async def ticket_view(ticket_number: str, token: str | None) -> dict[str, Any] | None:
    """None when the ticket does not exist or the token is not its token: both look the same."""
    if not TICKET_NUMBER.match(ticket_number):
        return None
    pool = await get_pool()
    async with pool.acquire() as conn:
        ticket = await tickets.get_by_number(conn, ticket_number)
        if ticket is None or not token_matches(token, ticket.access_token_hash):
            return None
        thread = await messages.for_ticket(conn, ticket.id)
    return tickets.public_view(ticket, thread)
