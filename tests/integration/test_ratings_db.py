"""The ratings tables as Postgres keeps them: one rating per ticket and channel, 1 to 5, only
on a resolved ticket; one request per ticket and channel."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.db import ratings
from tests.accepted import accept


async def _resolved_ticket(db: asyncpg.Connection, phone: str = "+14155552671") -> uuid.UUID:
    accepted = await accept(phone=phone)
    await db.execute("UPDATE tickets SET status = 'resolved' WHERE id = $1", accepted.ticket.id)
    return accepted.ticket.id


async def test_a_rating_is_stored_per_ticket_and_channel(
    app_env: str, db: asyncpg.Connection
) -> None:
    ticket_id = await _resolved_ticket(db)

    await ratings.rate(db, ticket_id, "web_form", 4)
    await ratings.rate(db, ticket_id, "email", 2)

    stored = {(r.channel, r.score) for r in await ratings.for_ticket(db, ticket_id)}
    assert stored == {("web_form", 4), ("email", 2)}


async def test_a_later_rating_on_the_same_channel_replaces_the_earlier(
    app_env: str, db: asyncpg.Connection
) -> None:
    ticket_id = await _resolved_ticket(db)

    await ratings.rate(db, ticket_id, "web_form", 1)
    again = await ratings.rate(db, ticket_id, "web_form", 5)

    assert again is not None and again.score == 5
    assert [(r.channel, r.score) for r in await ratings.for_ticket(db, ticket_id)] == [
        ("web_form", 5)
    ]


async def test_an_unresolved_ticket_is_not_rated(app_env: str, db: asyncpg.Connection) -> None:
    accepted = await accept()

    assert await ratings.rate(db, accepted.ticket.id, "web_form", 5) is None
    with pytest.raises(asyncpg.CheckViolationError, match="not resolved"):
        await db.execute(
            "INSERT INTO ticket_ratings (ticket_id, channel, score) VALUES ($1, 'web_form', 5)",
            accepted.ticket.id,
        )
    assert await ratings.for_ticket(db, accepted.ticket.id) == []


@pytest.mark.parametrize("score", [0, 6, -1])
async def test_the_database_refuses_a_score_outside_1_to_5(
    app_env: str, db: asyncpg.Connection, score: int
) -> None:
    ticket_id = await _resolved_ticket(db)

    with pytest.raises(asyncpg.CheckViolationError):
        await ratings.rate(db, ticket_id, "web_form", score)


async def test_the_database_refuses_a_channel_it_does_not_know(
    app_env: str, db: asyncpg.Connection
) -> None:
    ticket_id = await _resolved_ticket(db)

    with pytest.raises(asyncpg.CheckViolationError):
        await ratings.rate(db, ticket_id, "carrier_pigeon", 3)


async def test_a_customer_is_asked_once_per_ticket_and_channel(
    app_env: str, db: asyncpg.Connection
) -> None:
    ticket_id = await _resolved_ticket(db)

    first = await ratings.ask(db, ticket_id, "whatsapp", "event-1")
    second = await ratings.ask(db, ticket_id, "whatsapp", "event-2")
    by_email = await ratings.ask(db, ticket_id, "email", "event-3")

    assert (first, second, by_email) == (True, False, True)
    assert sorted(await ratings.asked_on(db, ticket_id)) == ["email", "whatsapp"]


async def test_a_whatsapp_rating_awaits_only_while_asked_and_not_yet_given(
    app_env: str, db: asyncpg.Connection
) -> None:
    phone = "+14155550123"
    ticket_id = await _resolved_ticket(db, phone)
    assert await ratings.awaiting_on_whatsapp(db, phone) is None  # not asked

    await ratings.ask(db, ticket_id, "whatsapp", "event-1")
    assert await ratings.awaiting_on_whatsapp(db, phone) == ticket_id

    await ratings.rate(db, ticket_id, "whatsapp", 5)
    assert await ratings.awaiting_on_whatsapp(db, phone) is None  # given


async def test_a_newer_ticket_of_the_customer_means_no_rating_awaits(
    app_env: str, db: asyncpg.Connection
) -> None:
    phone = "+14155550124"
    ticket_id = await _resolved_ticket(db, phone)
    await ratings.ask(db, ticket_id, "whatsapp", "event-1")

    await accept("Another question", phone=phone)

    assert await ratings.awaiting_on_whatsapp(db, phone) is None
