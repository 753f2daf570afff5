import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cloudevents.http import CloudEvent

from events import catalog
from events.envelope import InvalidEvent, derived_id, new_event, read_event
from events.kafka import from_record, to_record
from events.models import Customer, MessageReceived, ReplyReady
from events.schemas import SCHEMA_DIR, render_schemas

CUSTOMER_ID = uuid.UUID("0b7c1a2e-3f4d-4e5f-8a9b-0c1d2e3f4a5b")
MESSAGE_ID = uuid.UUID("5d0e2b41-6f3a-4c8e-9b7d-1a2b3c4d5e6f")


def _received() -> MessageReceived:
    return MessageReceived(
        channel="web_form",
        customer=Customer(id=CUSTOMER_ID, name="Ada", email="ada@example.com"),
        content="How do I reset my password?",
        subject="Reset",
        ticket_number="TKT-0001",
        message_id=MESSAGE_ID,
        received_at=datetime.now(UTC),
    )


def test_binary_record_carries_attributes_as_ce_headers_and_key_from_partitionkey() -> None:
    event = new_event(
        _received(),
        source=catalog.source_of("intake-web-form"),
        partitionkey=str(CUSTOMER_ID),
        channel="web_form",
    )
    key, value, headers = to_record(event)
    names = dict(headers)
    assert key == str(CUSTOMER_ID).encode()
    assert names["ce_type"] == catalog.MESSAGE_RECEIVED.encode()
    assert names["ce_channel"] == b"web_form"
    assert names["ce_partitionkey"] == str(CUSTOMER_ID).encode()
    assert names["content-type"] == b"application/json"
    assert json.loads(value)["content"] == "How do I reset my password?"


def test_record_round_trips_to_the_same_event() -> None:
    event = new_event(_received(), source="/s", partitionkey="k", channel="web_form")
    back = from_record(*to_record(event))
    assert back["id"] == event["id"]
    assert back["partitionkey"] == "k"
    assert read_event(back, MessageReceived) == _received().model_copy(
        update={"received_at": read_event(back, MessageReceived).received_at}
    )


def test_consumer_rejects_an_event_type_it_does_not_handle() -> None:
    event = new_event(_received(), source="/s", partitionkey="k", channel="web_form")
    with pytest.raises(InvalidEvent, match="expected type"):
        read_event(event, ReplyReady)


def test_consumer_rejects_data_that_does_not_validate() -> None:
    event = CloudEvent.create(
        {"type": catalog.MESSAGE_RECEIVED, "source": "/s"}, {"channel": "fax"}
    )
    with pytest.raises(InvalidEvent, match="invalid"):
        read_event(event, MessageReceived)


def test_derived_ids_are_stable_and_distinct_per_purpose() -> None:
    assert derived_id("e1", "reply") == derived_id("e1", "reply")
    assert derived_id("e1", "reply") != derived_id("e1", "apology")
    assert derived_id("e1", "reply") != derived_id("e2", "reply")


def test_the_partition_key_is_the_customer_id_never_an_address() -> None:
    customer = Customer(id=CUSTOMER_ID, email="josé@bücher.example", phone="+14155552671")
    assert customer.key == str(CUSTOMER_ID)
    event = new_event(_received(), source="/s", partitionkey=customer.key, channel="web_form")
    key, _, headers = to_record(event)
    assert key == str(CUSTOMER_ID).encode()
    assert b"@" not in dict(headers)["ce_partitionkey"]


def test_an_invalid_event_names_fields_but_never_their_values() -> None:
    data = _received().model_dump(mode="json") | {"message_id": "not-a-uuid"}
    data["customer"] |= {"id": "also-not-a-uuid"}
    event = CloudEvent.create({"type": catalog.MESSAGE_RECEIVED, "source": "/s"}, data)
    with pytest.raises(InvalidEvent) as raised:
        read_event(event, MessageReceived)
    text = str(raised.value)
    assert "message_id" in text and "customer.id" in text
    assert "not-a-uuid" not in text and "ada@example.com" not in text


def test_json_schemas_in_the_repo_are_generated_from_the_models() -> None:
    for name, text in render_schemas().items():
        path = Path(SCHEMA_DIR) / name
        assert path.exists(), f"{name} missing: run `fte events schemas`"
        assert path.read_text() == text, f"{name} is stale: run `fte events schemas`"
