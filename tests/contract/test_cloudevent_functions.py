"""The CloudEvent functions over the wire, in both CloudEvents HTTP encodings."""

import base64

import asyncpg
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import derived_id
from events.http import to_binary_http
from shared.agent.runner import handle_message
from shared.db import get_pool, outbox
from tests.accepted import accepted_event
from tests.functions_under_test import function_client

pytestmark = pytest.mark.knowledge_base

ENCODINGS = {"binary": to_binary, "structured": to_structured}


async def _post(service: str, event: CloudEvent, encoding: str = "binary") -> int:
    headers, body = ENCODINGS[encoding](event)
    async with function_client(service) as client:
        response = await client.post("/", headers=headers, content=body)
    return response.status_code


def _dead(event: CloudEvent, code: str = "500") -> CloudEvent:
    attributes = dict(event.get_attributes())
    attributes |= {"knativeerrorcode": code, "knativeerrordest": "http://agent-runner"}
    return CloudEvent.create(attributes, event.get_data())


async def _reply_of(event: CloudEvent, purpose: str = "reply") -> CloudEvent:
    kept = await outbox.event(await get_pool(), derived_id(event["id"], purpose))
    assert kept is not None
    return kept


async def _outbound(db: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await db.fetch(
        """SELECT content, delivery_status FROM messages WHERE direction = 'outbound'
           ORDER BY created_at"""
    )
    return [(r["content"], r["delivery_status"]) for r in rows]


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_agent_runner_answers_2xx_once_the_ticket_and_reply_are_committed(
    app_env: str, db: asyncpg.Connection, encoding: str
) -> None:
    assert await _post("agent-runner", await accepted_event(), encoding) == 200
    assert await db.fetchval("SELECT status FROM tickets") == "answered"


async def test_agent_runner_decodes_percent_encoded_attributes(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = await accepted_event()
    event["comment"] = "josé@bücher.example 100%"
    headers, body = to_binary_http(event)
    assert headers["ce-comment"].isascii()
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 200


async def test_agent_runner_refuses_an_event_type_it_does_not_handle_with_400(app_env: str) -> None:
    event = CloudEvent.create({"type": "com.example.other", "source": "/x"}, {"a": 1})
    assert await _post("agent-runner", event) == 400


async def test_a_message_that_can_never_succeed_is_400_and_the_body_names_no_personal_data(
    app_env: str,
) -> None:
    event = await accepted_event()
    data = event.get_data()
    assert isinstance(data, dict)
    broken = CloudEvent.create(
        dict(event.get_attributes()), data | {"customer": {"email": "ada@example.com"}}
    )
    headers, body = to_binary(broken)
    async with function_client("agent-runner") as client:
        response = await client.post("/", headers=headers, content=body)
    assert response.status_code == 400
    assert "customer.id" in response.text
    assert "ada@example.com" not in response.text


async def test_a_message_for_a_ticket_that_does_not_exist_is_400(app_env: str) -> None:
    event = await accepted_event()
    data = event.get_data()
    assert isinstance(data, dict)
    stray = CloudEvent.create({"type": catalog.MESSAGE_RECEIVED, "source": "/x"}, data)
    stray.get_data()["ticket_number"] = "TKT-9999"
    assert await _post("agent-runner", stray) == 400


async def test_a_body_that_is_not_a_cloudevent_gets_400(app_env: str) -> None:
    async with function_client("agent-runner") as client:
        response = await client.post("/", json={"hello": "world"})
    assert response.status_code == 400


async def test_agent_runner_answers_5xx_when_the_database_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config import get_settings
    from shared.db import close_pool

    event = await accepted_event()
    await close_pool()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    assert await _post("agent-runner", event) == 500


@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_send_web_marks_the_reply_delivered_once(
    app_env: str, db: asyncpg.Connection, encoding: str
) -> None:
    message = await accepted_event()
    await handle_message(message)
    reply = await _reply_of(message)
    assert await _post("send-web", reply, encoding) == 200
    assert await _post("send-web", reply, encoding) == 200
    assert [status for _, status in await _outbound(db)] == ["delivered"]


async def test_send_web_refuses_a_malformed_message_id_with_400(app_env: str) -> None:
    message = await accepted_event()
    await handle_message(message)
    reply = await _reply_of(message)
    data = reply.get_data()
    assert isinstance(data, dict)
    broken = CloudEvent.create(dict(reply.get_attributes()), data | {"message_id": "12"})
    assert await _post("send-web", broken) == 400


async def test_dead_letter_keeps_the_message_on_an_escalated_ticket_and_apologises_once(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = await accepted_event()
    assert await _post("dead-letter", _dead(event)) == 200
    assert await _post("dead-letter", _dead(event)) == 200
    row = await db.fetchrow("SELECT error_code, apology_sent FROM dead_letters")
    assert (row["error_code"], row["apology_sent"]) == (500, True)
    ticket = await db.fetchrow("SELECT status, escalation_reason FROM tickets")
    assert (ticket["status"], ticket["escalation_reason"]) == ("escalated", "agent_error")
    [(apology, status)] = await _outbound(db)
    assert "sorry" in apology.lower() and status == "pending"
    assert await _post("send-web", await _reply_of(event, "apology")) == 200
    assert [s for _, s in await _outbound(db)] == ["delivered"]


async def test_a_slow_last_attempt_that_answered_gets_no_apology(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = await accepted_event()
    await handle_message(event)  # the answer committed, but the dispatcher had given up
    assert await _post("dead-letter", _dead(event, "504")) == 200
    assert await db.fetchval("SELECT apology_sent FROM dead_letters") is False
    assert len(await _outbound(db)) == 1


async def test_an_answer_arriving_after_the_apology_is_not_sent(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = await accepted_event()
    assert await _post("dead-letter", _dead(event)) == 200
    outcome = await handle_message(event)  # a slow attempt finishing after the dead letter
    assert outcome.duplicate
    [(apology, _)] = await _outbound(db)
    assert "sorry" in apology.lower()


async def test_an_undeliverable_reply_is_marked_failed_and_apologised_for_once(
    app_env: str, db: asyncpg.Connection
) -> None:
    message = await accepted_event()
    await handle_message(message)
    reply = await _reply_of(message)
    assert await _post("dead-letter", _dead(reply, "503")) == 200
    assert await _post("send-web", reply) == 200  # a late delivery attempt changes nothing
    statuses = [s for _, s in await _outbound(db)]
    assert statuses == ["failed", "pending"]
    apology = await _reply_of(message, "apology")
    assert await _post("dead-letter", _dead(apology, "503")) == 200  # no apology for it
    assert [s for _, s in await _outbound(db)] == ["failed", "failed"]
    assert await db.fetchval("SELECT status FROM tickets") == "escalated"


async def test_dead_letter_records_an_event_of_another_type(
    app_env: str, db: asyncpg.Connection
) -> None:
    event = CloudEvent.create({"type": "com.example.other", "source": "/x"}, {"a": 1})
    event["knativeerrordata"] = base64.b64encode(b"nope").decode()
    assert await _post("dead-letter", event) == 200
    assert await db.fetchval("SELECT event_type FROM dead_letters") == "com.example.other"


async def test_outbox_relay_sweeps_on_a_ping_and_refuses_other_events(app_env: str) -> None:
    ping = CloudEvent.create(
        {
            "type": catalog.PING,
            "source": "/apis/v1/namespaces/default/pingsources/outbox-relay-ping",
        },
        {"task": "sweep"},
    )
    assert await _post("outbox-relay", ping) == 200
    other = CloudEvent.create({"type": "com.example.other", "source": "/x"}, {})
    assert await _post("outbox-relay", other) == 400
