"""send-whatsapp on the real database, broker and agent, against the Twilio stand-in, whose
status callbacks reach the real intake-whatsapp function."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import pytest
from cloudevents.http import CloudEvent

from events.envelope import InvalidEvent, derived_id, new_event, read_event
from events.models import ReplyReady
from shared.agent.runner import handle_message
from shared.channels import sender_of, twilio_api
from shared.channels.twilio_api import TwilioRefused
from shared.channels.whatsapp import deliver_whatsapp_reply
from shared.channels.whatsapp_status import STATUS_PATH
from shared.config import get_settings
from shared.db import get_pool, outbox, processed_events, whatsapp_parts
from shared.metrics import ESCALATIONS
from tests.whatsapp_fixtures import CUSTOMER, WhatsApp, post_signed, wait_until

pytestmark = pytest.mark.knowledge_base
TEMPLATE = "HX" + "b" * 32
CLAIM = sender_of("whatsapp")


async def _reply_to(chat: WhatsApp, text: str = "How do I reset my password?") -> CloudEvent:
    """The customer writes (a signed webhook), the agent answers: its ``reply.ready``."""
    response, params = await chat.customer_writes(text)
    assert response.status_code == 200
    pool = await get_pool()
    event_id = await pool.fetchval(
        "SELECT event_id FROM messages WHERE channel_message_id = $1", params["MessageSid"]
    )
    async with pool.acquire() as conn:
        received = await outbox.event(conn, event_id)
        assert received is not None
        await handle_message(received)
        reply = await outbox.event(conn, derived_id(event_id, "reply"))
    assert reply is not None
    return reply


def _with_parts(event: CloudEvent, parts: list[str]) -> CloudEvent:
    """The same reply (same id, same stored message) split into these parts."""
    reply = read_event(event, ReplyReady).model_copy(update={"parts": parts})
    return new_event(
        reply,
        source=event["source"],
        partitionkey=event["partitionkey"],
        channel="whatsapp",
        event_id=event["id"],
    )


def _message_id(event: CloudEvent) -> Any:
    return read_event(event, ReplyReady).message_id


async def _delivery(db: asyncpg.Connection, event: CloudEvent) -> tuple[Any, ...]:
    row = await db.fetchrow(
        "SELECT delivery_status, delivery_error FROM messages WHERE id = $1", _message_id(event)
    )
    return row["delivery_status"], row["delivery_error"]


async def test_the_parts_go_out_in_order_once_and_their_callbacks_reach_the_reply(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    event = _with_parts(await _reply_to(whatsapp), ["Part one.", "Part two.", "Part three."])

    assert await deliver_whatsapp_reply(event) is True
    sent = whatsapp.twilio.sent()
    assert [(m.to, m.body) for m in sent] == [
        (CUSTOMER, "Part one."),
        (CUSTOMER, "Part two."),
        (CUSTOMER, "Part three."),
    ]
    parts = await whatsapp_parts.parts_of(db, _message_id(event))
    assert [p.sid for p in parts] == [m.sid for m in sent]

    async def read() -> bool:
        return (await _delivery(db, event))[0] == "read"

    await wait_until(read, what="every part read")
    assert await deliver_whatsapp_reply(event) is False  # a redelivery sends nothing more
    assert len(whatsapp.twilio.sent()) == 3
    assert await processed_events.is_claimed(db, CLAIM, event["id"])


async def test_a_sender_killed_after_twilio_accepted_a_part_does_not_send_it_again(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twilio took part 2, the sender died before committing its SID; callbacks went nowhere,
    so the next delivery must find part 2 in Twilio's list of recent messages."""
    event = _with_parts(await _reply_to(whatsapp), ["One.", "Two.", "Three."])
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://127.0.0.1:9")  # no callback arrives
    get_settings.cache_clear()
    real_record = whatsapp_parts.record_sid

    async def dies_after_part_two(conn: Any, message_id: Any, part: int, *rest: Any) -> None:
        if part == 2:
            raise ConnectionResetError("the sender died here")
        await real_record(conn, message_id, part, *rest)

    monkeypatch.setattr(whatsapp_parts, "record_sid", dies_after_part_two)
    with pytest.raises(ConnectionResetError):
        await deliver_whatsapp_reply(event)
    monkeypatch.setattr(whatsapp_parts, "record_sid", real_record)

    assert await deliver_whatsapp_reply(event) is True
    assert [m.body for m in whatsapp.twilio.sent()] == ["One.", "Two.", "Three."]
    parts = await whatsapp_parts.parts_of(db, _message_id(event))
    assert [p.sid for p in parts] == [m.sid for m in whatsapp.twilio.sent()]


async def test_a_part_whose_callback_came_before_its_sid_was_committed_is_not_sent_again(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = _with_parts(await _reply_to(whatsapp), ["One.", "Two."])
    real_record = whatsapp_parts.record_sid

    async def dies(conn: Any, message_id: Any, part: int, *rest: Any) -> None:
        raise ConnectionResetError("the sender died here")

    monkeypatch.setattr(whatsapp_parts, "record_sid", dies)
    with pytest.raises(ConnectionResetError):
        await deliver_whatsapp_reply(event)
    monkeypatch.setattr(whatsapp_parts, "record_sid", real_record)

    async def sid_from_callback() -> bool:
        return (await whatsapp_parts.part_of(db, _message_id(event), 1)).sid is not None  # type: ignore[union-attr]

    await wait_until(sid_from_callback, what="the status callback to record part 1's SID")
    listed = twilio_api.recent
    monkeypatch.setattr(twilio_api, "recent", None)  # the callback is enough: no list needed
    assert await deliver_whatsapp_reply(event) is True
    monkeypatch.setattr(twilio_api, "recent", listed)
    assert [m.body for m in whatsapp.twilio.sent()] == ["One.", "Two."]


async def test_twilio_429_raises_so_the_delivery_is_retried_and_then_sends_once(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    event = _with_parts(await _reply_to(whatsapp), ["One.", "Two."])
    whatsapp.twilio.fail_next(twilio_api.TOO_MANY_REQUESTS)
    with pytest.raises(TwilioRefused) as refused:
        await deliver_whatsapp_reply(event)
    assert refused.value.retryable
    assert not await processed_events.is_claimed(db, CLAIM, event["id"])

    assert await deliver_whatsapp_reply(event) is True
    assert [m.body for m in whatsapp.twilio.sent()] == ["One.", "Two."]


async def test_a_permanent_refusal_is_a_dead_letter_with_twilios_code(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    event = await _reply_to(whatsapp)
    whatsapp.twilio.fail_next(21211)
    with pytest.raises(InvalidEvent, match="21211"):
        await deliver_whatsapp_reply(event)
    assert await _delivery(db, event) == ("failed", "21211")
    assert whatsapp.twilio.sent() == []


async def test_after_stop_nothing_is_sent_until_start(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    await whatsapp.customer_writes("STOP")
    event = await _reply_to(whatsapp)
    assert await deliver_whatsapp_reply(event) is True
    assert whatsapp.twilio.sent() == []
    assert await _delivery(db, event) == ("failed", "opted_out")

    await whatsapp.customer_writes("START")
    again = await _reply_to(whatsapp, "How do I reset my password, please?")
    assert await deliver_whatsapp_reply(again) is True
    assert len(whatsapp.twilio.sent()) == len(read_event(again, ReplyReady).parts)


async def _window_lapsed(db: asyncpg.Connection) -> None:
    await db.execute("UPDATE whatsapp_contacts SET last_inbound_at = now() - interval '25 hours'")


async def test_outside_the_window_with_no_template_the_ticket_goes_to_a_person(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    event = await _reply_to(whatsapp)
    await _window_lapsed(db)
    escalations = ESCALATIONS.labels("whatsapp_window_closed", "whatsapp")
    before = escalations._value.get()
    assert await deliver_whatsapp_reply(event) is True
    assert whatsapp.twilio.sent() == []
    assert await _delivery(db, event) == ("failed", "whatsapp_window_closed")
    ticket = await db.fetchrow("SELECT status, escalation_reason FROM tickets")
    assert tuple(ticket) == ("escalated", "whatsapp_window_closed")
    assert escalations._value.get() == before + 1  # in fte_escalations_total


async def test_outside_the_window_the_template_reopens_the_conversation(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_WHATSAPP_TEMPLATE_SID", TEMPLATE)
    get_settings.cache_clear()
    event = await _reply_to(whatsapp)
    await _window_lapsed(db)
    assert await deliver_whatsapp_reply(event) is True
    [template] = whatsapp.twilio.sent()
    assert (template.content_sid, template.body) == (TEMPLATE, "")
    assert await _delivery(db, event) == ("failed", "63016: template sent")


async def test_twilios_63016_inside_our_window_also_sends_the_template(
    whatsapp: WhatsApp, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_WHATSAPP_TEMPLATE_SID", TEMPLATE)
    get_settings.cache_clear()
    event = await _reply_to(whatsapp)
    whatsapp.twilio.customer_wrote(CUSTOMER, at=time.time() - 25 * 3600)  # Twilio disagrees
    assert await deliver_whatsapp_reply(event) is True
    assert [m.content_sid for m in whatsapp.twilio.sent()] == [TEMPLATE]
    assert await _delivery(db, event) == ("failed", "63016: template sent")
    parts = await whatsapp_parts.parts_of(db, _message_id(event))
    assert [(p.part, p.sid is not None, p.error_code) for p in parts] == [
        (0, True, None),  # the template, sent
        (1, False, 63016),  # the answer, refused
    ]


async def test_status_callbacks_never_move_a_reply_backwards(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    whatsapp.twilio.read_receipts = False
    whatsapp.twilio.callback_delay = 0
    event = _with_parts(await _reply_to(whatsapp), ["Only part."])
    assert await deliver_whatsapp_reply(event) is True
    [sent] = whatsapp.twilio.sent()

    async def delivered() -> bool:
        return (await _delivery(db, event))[0] == "delivered"

    await wait_until(delivered, what="the stand-in's callbacks")
    url = whatsapp.public_url + STATUS_PATH
    for status in ("read", "sent", "queued", "delivered"):
        response = await post_signed(url, {"MessageSid": sent.sid, "MessageStatus": status})
        assert response.status_code == 200
    assert await _delivery(db, event) == ("read", None)

    failed = {"MessageSid": sent.sid, "MessageStatus": "failed", "ErrorCode": "30008"}
    assert (await post_signed(url, failed)).status_code == 200
    assert await _delivery(db, event) == ("read", None)  # read is as far as it goes


async def test_a_failure_callback_records_twilios_error_code(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    whatsapp.twilio.callback_delay = 5  # the stand-in's own callbacks come too late to matter
    event = _with_parts(await _reply_to(whatsapp), ["Only part."])
    assert await deliver_whatsapp_reply(event) is True
    [sent] = whatsapp.twilio.sent()
    url = whatsapp.public_url + STATUS_PATH
    undelivered = {"MessageSid": sent.sid, "MessageStatus": "undelivered", "ErrorCode": "63024"}
    assert (await post_signed(url, undelivered)).status_code == 200
    assert await _delivery(db, event) == ("undelivered", "63024")


async def test_an_unsigned_status_callback_is_403_and_changes_nothing(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    whatsapp.twilio.callback_delay = 5
    event = _with_parts(await _reply_to(whatsapp), ["Only part."])
    assert await deliver_whatsapp_reply(event) is True
    [sent] = whatsapp.twilio.sent()
    url = whatsapp.public_url + STATUS_PATH
    forged = {"MessageSid": sent.sid, "MessageStatus": "read"}
    response = await post_signed(url, forged, token="not-the-auth-token")
    assert response.status_code == 403
    assert await _delivery(db, event) == ("queued", None)


async def test_once_the_dead_letter_function_took_the_claim_nothing_is_sent(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    event = await _reply_to(whatsapp)
    async with (await get_pool()).acquire() as conn, conn.transaction():
        await processed_events.claim(conn, CLAIM, event["id"], by="dead-letter")
    assert await deliver_whatsapp_reply(event) is False
    assert whatsapp.twilio.sent() == []


async def test_a_63016_in_a_later_callback_hands_the_ticket_to_a_person(
    whatsapp: WhatsApp, db: asyncpg.Connection
) -> None:
    whatsapp.twilio.callback_delay = 5
    event = _with_parts(await _reply_to(whatsapp), ["Only part."])
    assert await deliver_whatsapp_reply(event) is True
    [sent] = whatsapp.twilio.sent()
    failed = {"MessageSid": sent.sid, "MessageStatus": "failed", "ErrorCode": "63016"}
    assert (await post_signed(whatsapp.public_url + STATUS_PATH, failed)).status_code == 200
    assert await _delivery(db, event) == ("failed", "63016")
    ticket = await db.fetchrow("SELECT status, escalation_reason FROM tickets")
    assert tuple(ticket) == ("escalated", "whatsapp_window_closed")
