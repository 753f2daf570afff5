"""A person's answer goes out like the agent's, on the customer's channel, once; and a customer
writing again on a ticket a person has stays with that person."""

from __future__ import annotations

import asyncpg
import pytest

from events import catalog
from shared.agent.runner import handle_message
from shared.channels.email import deliver_email_reply
from shared.channels.gmail_api import gmail
from shared.channels.gmail_push import Notification
from shared.channels.web import deliver_web_reply
from shared.config import get_settings
from shared.db import get_pool, messages, outbox, staff, tickets
from shared.db.staff import StaffMember
from shared.intake.email import sync_mailbox
from shared.staff import inbox
from shared.staff.sessions import add_account
from tests.accepted import accept, follow_up
from tests.google import SUPPORT, Google, customer_mail

pytestmark = pytest.mark.knowledge_base


async def _member() -> StaffMember:
    return await add_account("ana@northwind.example", "Ana", "agent", "correct horse battery")


async def _escalate(ticket_number: str) -> None:
    pool = await get_pool()
    await pool.execute(
        """UPDATE tickets SET status = 'escalated', escalated_at = now()
           WHERE ticket_number = $1""",
        ticket_number,
    )


async def _staff_reply(db: asyncpg.Connection) -> object:
    event_id = await db.fetchval(
        "SELECT event_id FROM outbox WHERE attributes->>'source' = $1 ORDER BY id DESC LIMIT 1",
        catalog.source_of("staff-api"),
    )
    return await outbox.event(await get_pool(), event_id)


async def test_a_follow_up_on_an_escalated_ticket_waits_for_staff_instead_of_the_agent(
    app_env: str, db: asyncpg.Connection
) -> None:
    accepted = await accept("I want a refund for last month")
    await _escalate(accepted.ticket.ticket_number)

    outcome = await handle_message(await follow_up(accepted.ticket, "Any news?"))

    assert outcome.with_staff and not outcome.duplicate
    assert await db.fetchval("SELECT count(*) FROM messages WHERE direction = 'outbound'") == 0
    waiting = await inbox.queue(await _member(), "waiting")
    assert [t["ticket_number"] for t in waiting["tickets"]] == [accepted.ticket.ticket_number]


async def test_configured_so_the_agent_answers_follow_ups_on_escalated_tickets(
    app_env: str, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESCALATED_FOLLOW_UPS", "agent")
    get_settings.cache_clear()
    accepted = await accept("I want a refund for last month")
    await _escalate(accepted.ticket.ticket_number)

    outcome = await handle_message(await follow_up(accepted.ticket, "How do I reset my password?"))

    assert not outcome.with_staff and outcome.tools_called


async def test_a_web_answer_by_staff_is_delivered_and_shown_on_the_status_page(
    app_env: str, db: asyncpg.Connection
) -> None:
    accepted = await accept("I want a refund for last month")
    await _escalate(accepted.ticket.ticket_number)
    member = await _member()

    sent = await inbox.answer(member, accepted.ticket.ticket_number, "I've refunded March.")
    reply = await _staff_reply(db)
    assert await deliver_web_reply(reply) is True  # type: ignore[arg-type]
    assert await deliver_web_reply(reply) is False  # type: ignore[arg-type]

    page = tickets.public_view(accepted.ticket, await messages.for_ticket(db, accepted.ticket.id))
    answers = [m for m in page["messages"] if m["role"] == "staff"]
    assert [(m["content"], m["delivery_status"]) for m in answers] == [
        ("I've refunded March.", "delivered")
    ]
    assert answers[0]["id"] == sent["message_id"]
    assert (await staff.get(db, member.id)) is not None


async def test_an_email_answer_by_staff_goes_out_once_in_the_customers_thread(
    google: Google, db: asyncpg.Connection
) -> None:
    mail = customer_mail("I want a refund for last month")
    google.deliver(mail)
    await sync_mailbox(Notification(SUPPORT, google.mailbox.history_id), gmail(), get_settings())
    number = await db.fetchval("SELECT ticket_number FROM tickets")
    await _escalate(number)

    await inbox.answer(await _member(), number, "I've refunded March.")
    reply = await _staff_reply(db)
    assert await deliver_email_reply(reply) is True  # type: ignore[arg-type]
    assert await deliver_email_reply(reply) is False  # type: ignore[arg-type]

    [sent] = google.sent()
    assert sent["in_reply_to"] == mail["Message-ID"] and sent["subject"] == "Re: Reset password"
    assert "I've refunded March." in sent["text"] and sent["text"].startswith("Hi Ada,")
