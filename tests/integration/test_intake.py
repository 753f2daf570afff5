import json

import asyncpg
import pytest

from events import catalog
from events.envelope import read_event
from events.models import MessageReceived
from shared.access import hash_token
from shared.intake.submit import submit_form
from shared.intake.web_form import SupportForm
from tests.kafka_reading import end_offsets, read_events

FORM = SupportForm.model_validate(
    {
        "name": "Ada",
        "email": "Ada@Example.com",
        "phone": "+1 415 555 2671",
        "subject": "Reset password",
        "message": "How do I reset my password?",
    }
)


async def test_submission_numbers_the_ticket_and_publishes_the_message(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
) -> None:
    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    receipt = await submit_form(FORM)

    assert receipt.ticket_number == "TKT-0001"
    assert receipt.status_url.endswith(f"/api/v1/tickets/TKT-0001?token={receipt.access_token}")
    row = await db.fetchrow(
        "SELECT status, access_token_hash FROM tickets WHERE ticket_number = 'TKT-0001'"
    )
    assert row["status"] == "received"
    assert row["access_token_hash"] == hash_token(receipt.access_token)

    [(key, event)] = await read_events(
        kafka,
        catalog.TOPIC_INCOMING,
        since,
        where=lambda e: (
            json.loads(e.get_data())["ticket_number"] == "TKT-0001"
            and e["partitionkey"] == "ada@example.com"
        ),
    )
    message = read_event(event, MessageReceived)
    assert key == b"ada@example.com"
    assert event["channel"] == "web_form"
    assert message.customer.phone == "+14155552671"
    assert message.content == "How do I reset my password?"


async def test_a_failed_publish_leaves_no_ticket_behind(
    app_env: str,
    db: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broker_down(topic: str, event: object) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("shared.intake.submit.publish", broker_down)
    with pytest.raises(ConnectionError):
        await submit_form(FORM)
    assert await db.fetchval("SELECT count(*) FROM tickets") == 0
