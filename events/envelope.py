"""CloudEvents around our models: build one to emit, and read one back with its type checked."""

from __future__ import annotations

import json
import uuid
from typing import Any, TypeVar

from cloudevents.http import CloudEvent
from pydantic import ValidationError

from events.models import EventData

T = TypeVar("T", bound=EventData)

# The CloudEvents distributed-tracing extension: the W3C trace context of the event's origin,
# carried as attributes (``ce_traceparent`` / ``ce-traceparent`` on the wire) and never changed
# on the way, so every consumer continues the trace of the message that caused the event.
TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_ATTRIBUTES = (TRACEPARENT, TRACESTATE)


class InvalidEvent(ValueError):
    """An event of a type the consumer does not handle, or whose data does not validate.

    It will never succeed, so consumers answer 400 and the event goes to the dead-letter sink.
    """


def new_event(
    data: EventData, *, source: str, partitionkey: str, channel: str, event_id: str | None = None
) -> CloudEvent:
    """A binary-mode-ready CloudEvent; ``channel`` is an extension so Triggers can filter on it."""
    return CloudEvent.create(
        {
            "id": event_id or str(uuid.uuid4()),
            "type": data.event_type,
            "source": source,
            "datacontenttype": "application/json",
            "partitionkey": partitionkey,
            "channel": channel,
        },
        data.model_dump(mode="json"),
    )


def derived_id(event_id: str, purpose: str) -> str:
    """A stable id for the event caused by another, so a retried handler emits the same id again."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{event_id}/{purpose}"))


def read_event(event: CloudEvent, model: type[T]) -> T:
    """Check the type first, then validate the data into ``model``.

    The error names the fields and what is wrong with them, never their values: it becomes a
    400 body, then ``knativeerrordata`` on a dead letter, and must carry no personal data.
    """
    if event["type"] != model.event_type:
        raise InvalidEvent(f"expected type {model.event_type}, got {event['type']}")
    data = event.get_data()
    try:
        if isinstance(data, bytes | str):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'data'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidEvent(f"invalid {model.event_type} data: {problems}") from exc


def json_data(event: CloudEvent) -> Any:
    """The event's data as JSON values (raw JSON bytes parsed); None when it is not JSON."""
    data = event.get_data()
    if isinstance(data, bytes | str):
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
    return data
