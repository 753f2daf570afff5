"""Taking a rating: from the status page (the ticket's token, as the page is authorised), or a
WhatsApp reply that is just a digit from 1 to 5 to a question we asked there."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from events import catalog
from shared.db import get_pool, ratings, staff_queue, tickets
from shared.db.pool import Connection
from shared.db.ratings import Rating
from shared.ratings.wording import HIGHEST, LOWEST, thanks_text
from shared.relay import Outgoing
from shared.ticket_replies import plan_reply
from shared.ticket_status import ticket_for_token

WHATSAPP_SOURCE = catalog.source_of("intake-whatsapp")


class PageRating(BaseModel):
    """``POST /api/v1/tickets/{number}/rating``: the score, and where the customer was asked
    (the status page itself, or the link in our email)."""

    model_config = ConfigDict(extra="forbid")

    score: StrictInt = Field(ge=LOWEST, le=HIGHEST)
    channel: Literal["web_form", "email"] = "web_form"


class NotRatable(Exception):
    """The ticket is the token's but not resolved: a 409 that says so."""

    def __init__(self, ticket_number: str) -> None:
        super().__init__(f"{ticket_number} is not resolved yet: it can be rated once it is")


async def rate_on_page(ticket_number: str, token: str | None, rating: PageRating) -> Rating | None:
    """The stored rating; None when there is no such ticket for this token (a 404)."""
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await ticket_for_token(conn, ticket_number, token)
        if ticket is None:
            return None
        stored = await ratings.rate(conn, ticket.id, rating.channel, rating.score)
    if stored is None:
        raise NotRatable(ticket.ticket_number)
    return stored


async def rate_by_whatsapp(conn: Connection, phone: str, score: int) -> list[Outgoing] | None:
    """Store the reply as the rating of the customer's resolved ticket that awaits one on
    WhatsApp, and plan the thanks; None when none awaits (the reply is an ordinary message)."""
    ticket_id = await ratings.awaiting_on_whatsapp(conn, phone)
    ticket = await tickets.get(conn, ticket_id) if ticket_id is not None else None
    if ticket is None or await ratings.rate(conn, ticket.id, "whatsapp", score) is None:
        return None
    asked = await staff_queue.latest_inbound(conn, ticket.id)
    if asked is None or asked["channel"] != "whatsapp":
        return []  # rated; there is no WhatsApp conversation on the ticket to thank them in
    text = thanks_text(ticket.ticket_number, score)
    outgoing, _ = await plan_reply(
        conn, ticket, asked, text, source=WHATSAPP_SOURCE, role="system", rating="thanks"
    )
    return [outgoing]
