"""Sending the agent's answer: a reply in the customer's Gmail thread, exactly once, through
redelivery, Gmail's rate limits and a connection that dies after Gmail took the mail."""

from __future__ import annotations

import asyncpg
import pytest
from cloudevents.http import CloudEvent

from events.envelope import InvalidEvent, derived_id, read_event
from events.models import ReplyReady
from shared.agent.runner import handle_message
from shared.channels.email import deliver_email_reply
from shared.channels.gmail_api import GmailUnavailable, gmail
from shared.channels.gmail_push import Notification
from shared.config import get_settings
from shared.db import get_pool, outbox
from shared.intake.email import sync_mailbox
from tests.functions_under_test import function_client
from tests.google import SUPPORT, Google, customer_mail

pytestmark = pytest.mark.knowledge_base


async def _reply_to(google: Google, mail_text: str = "How do I reset my password?") -> CloudEvent:
    """A customer's mail read from the inbox and answered by the agent: its ``reply.ready``."""
    google.deliver(customer_mail(mail_text))
    notification = Notification(SUPPORT, google.mailbox.history_id)
    await sync_mailbox(notification, gmail(), get_settings())
    pool = await get_pool()
    received_id = await pool.fetchval("SELECT event_id FROM outbox ORDER BY id DESC LIMIT 1")
    received = await outbox.event(pool, received_id)
    assert received is not None
    await handle_message(received)
    reply = await outbox.event(pool, derived_id(received_id, "reply"))
    assert reply is not None
    return reply


async def test_the_answer_goes_out_in_the_customers_thread_as_text_and_html(
    google: Google, db: asyncpg.Connection
) -> None:
    reply = await _reply_to(google)

    assert await deliver_email_reply(reply) is True

    [customer, answer] = google.mailbox.messages.values()
    [sent] = google.sent()
    assert sent["thread_id"] == customer.thread_id
    customer_id = await db.fetchval("SELECT rfc_message_id FROM email_messages LIMIT 1")
    assert sent["in_reply_to"] == customer_id and sent["references"] == customer_id
    assert sent["subject"] == "Re: Reset password"
    assert sent["to"] == "ada@example.com" and SUPPORT in sent["from"]
    assert sent["content_type"] == "multipart/alternative"
    assert sent["text"].startswith("Hi Ada,") and "support team" in sent["text"]
    assert "<p>Hi Ada,</p>" in sent["html"]
    assert "follow it at https://support.northwind.example/api/v1/tickets/TKT-" in sent["text"]
    stored = await db.fetchrow(
        "SELECT delivery_status, channel_message_id FROM messages WHERE direction = 'outbound'"
    )
    assert (stored["delivery_status"], stored["channel_message_id"]) == ("delivered", answer.id)


async def test_a_redelivered_reply_is_not_sent_again(google: Google) -> None:
    reply = await _reply_to(google)

    assert await deliver_email_reply(reply) is True
    assert await deliver_email_reply(reply) is False

    assert len(google.sent()) == 1


async def test_a_send_whose_answer_was_lost_is_found_in_gmail_and_not_made_twice(
    google: Google, db: asyncpg.Connection
) -> None:
    reply = await _reply_to(google)
    google.mailbox.stall_sends, google.mailbox.stall_seconds = 1, 5.0  # Gmail sends, then hangs

    with pytest.raises(GmailUnavailable):  # the client gave up waiting (2 s in tests)
        await deliver_email_reply(reply)
    assert len(google.sent()) == 1  # …but Gmail had sent it
    assert await deliver_email_reply(reply) is True  # the retry finds it by Message-ID

    assert len(google.sent()) == 1
    status = await db.fetchval("SELECT delivery_status FROM messages WHERE direction = 'outbound'")
    assert status == "delivered"


async def _post(event: CloudEvent) -> int:
    from cloudevents.conversion import to_binary

    headers, body = to_binary(event)
    async with function_client("send-email") as client:
        return (await client.post("/", headers=headers, content=body)).status_code


async def test_gmail_rate_limits_and_outages_are_retried_and_refusals_dead_lettered(
    google: Google,
) -> None:
    reply = await _reply_to(google)
    google.mailbox.fail_sends = [429, 503]

    assert await _post(reply) == 500  # delivery retries…
    assert await _post(reply) == 500
    assert await _post(reply) == 200  # …until Gmail takes it
    assert len(google.sent()) == 1

    refused = await _reply_to(google, "And how do I change my email address?")
    google.mailbox.fail_sends = [400]
    assert await _post(refused) == 400  # never going to work: straight to the dead letter
    assert len(google.sent()) == 1


async def test_a_reply_for_another_channel_is_refused(google: Google) -> None:
    reply = await _reply_to(google)
    data = read_event(reply, ReplyReady).model_copy(update={"channel": "web_form"})
    attributes = dict(reply.get_attributes())
    wrong = CloudEvent.create(attributes, data.model_dump(mode="json"))

    with pytest.raises(InvalidEvent):
        await deliver_email_reply(wrong)
    assert google.sent() == []
