"""One customer message, one trace: the real functions in-process, the real database and broker.

Each hop goes as in the stack: the intake publishes to Kafka, the record read back from the
topic is delivered to the next function in binary mode (as the dispatcher and Knative's
KafkaSource deliver it), and the spans are collected by the SDK's in-memory exporter.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import asyncpg
import pytest
from cloudevents.http import CloudEvent
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from events import catalog
from events.http import to_binary_http
from shared import tracing
from shared.config import get_settings
from shared.logs import JsonLines
from tests.accepted import accepted_event
from tests.functions_under_test import function_client
from tests.kafka_reading import end_offsets, read_events
from tests.spans import named, only, trace_id
from tests.whatsapp_fixtures import WhatsApp

pytestmark = pytest.mark.knowledge_base

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
FORM = {
    "name": "Zebedee Quillfeather",
    "email": "zebedee.quillfeather@example.com",
    "phone": "+1 415 555 2671",
    "subject": "Purple elephant subject",
    "message": "My purple elephant cannot log in, how do I reset my password?",
}


async def _deliver(service: str, event: CloudEvent) -> int:
    """POST the event to the function in binary mode, as the dispatcher delivers it."""
    headers, body = to_binary_http(event)
    async with function_client(service) as client:
        response = await client.post("/", headers=headers, content=body)
    return response.status_code


async def _published(kafka: str, topic: str, since: object, event_type: str) -> CloudEvent:
    [(_, event)] = await read_events(
        kafka,
        topic,
        since,  # type: ignore[arg-type]
        where=lambda e: e["type"] == event_type,
    )
    return event


async def _one_message_through_the_functions(kafka: str) -> tuple[str, CloudEvent, CloudEvent]:
    """Web form → intake → Kafka → agent-runner → Kafka → send-web; (ticket, received, reply)."""
    incoming = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    outgoing = await end_offsets(kafka, catalog.TOPIC_OUTGOING)
    async with function_client("intake-web-form") as client:
        posted = await client.post("/api/v1/support/form", json=FORM)
    assert posted.status_code == 202
    received = await _published(kafka, catalog.TOPIC_INCOMING, incoming, catalog.MESSAGE_RECEIVED)
    assert await _deliver("agent-runner", received) == 200
    reply = await _published(kafka, catalog.TOPIC_OUTGOING, outgoing, catalog.REPLY_READY)
    assert await _deliver("send-web", reply) == 200
    return posted.json()["ticket_number"], received, reply


async def test_one_message_is_one_trace_from_the_webhook_through_the_agent_runner_to_the_sender(
    app_env: str, kafka: str, spans: InMemorySpanExporter
) -> None:
    ticket, received, reply = await _one_message_through_the_functions(kafka)

    finished = spans.get_finished_spans()
    intake = only(finished, "intake-web-form")
    in_trace = [s for s in finished if trace_id(s) == trace_id(intake)]
    runner, sender = only(in_trace, "agent-runner"), only(in_trace, "send-web")
    assert intake.kind == SpanKind.SERVER and intake.parent is None  # the trace starts here
    assert intake.attributes is not None and intake.attributes["fte.ticket_number"] == ticket
    # Each function continues from the span that emitted the event it was given.
    assert runner.kind == SpanKind.CONSUMER and runner.parent is not None
    assert runner.parent.span_id == intake.context.span_id
    assert sender.parent is not None and sender.parent.span_id == runner.context.span_id
    assert {s.name for s in in_trace} >= {
        "publish " + catalog.TOPIC_INCOMING,
        "publish " + catalog.TOPIC_OUTGOING,
    }
    # What went over Kafka carried it: the events are in the intake's trace.
    assert tracing.trace_id_of(received) == tracing.trace_id_of(reply) == trace_id(intake)
    assert [trace_id(s) for s in named(finished, "agent-runner")] == [trace_id(intake)]


async def test_a_whatsapp_message_is_one_trace_from_intake_whatsapp_to_send_whatsapp(
    whatsapp: WhatsApp, kafka: str, spans: InMemorySpanExporter
) -> None:
    incoming = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    outgoing = await end_offsets(kafka, catalog.TOPIC_OUTGOING)
    answered, _ = await whatsapp.customer_writes("How do I reset my password?")
    assert answered.status_code == 200
    received = await _published(kafka, catalog.TOPIC_INCOMING, incoming, catalog.MESSAGE_RECEIVED)
    assert await _deliver("agent-runner", received) == 200
    reply = await _published(kafka, catalog.TOPIC_OUTGOING, outgoing, catalog.REPLY_READY)
    assert await _deliver("send-whatsapp", reply) == 200

    finished = spans.get_finished_spans()
    intake = only(finished, "intake-whatsapp")
    in_trace = [s for s in finished if trace_id(s) == trace_id(intake)]
    runner, sender = only(in_trace, "agent-runner"), only(in_trace, "send-whatsapp")
    assert runner.parent is not None and runner.parent.span_id == intake.context.span_id
    assert sender.parent is not None and sender.parent.span_id == runner.context.span_id
    assert sender.status.is_ok


async def test_the_trace_context_is_kept_with_the_outbox_row_and_published_with_the_event_by_the_relay(
    app_env: str,
    kafka: str,
    db: asyncpg.Connection,
    spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_GRACE_SECONDS", "0")
    get_settings.cache_clear()
    with tracing.tracer().start_as_current_span("accepting") as accepting:
        event = await accepted_event()  # committed with its outbox row, published nowhere yet
    span = accepting.get_span_context()
    row = await db.fetchrow(
        "SELECT traceparent, attributes FROM outbox WHERE event_id = $1", event["id"]
    )
    assert (
        row["traceparent"] == f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"
    )
    assert "traceparent" not in json.loads(row["attributes"])  # one place: its column

    since = await end_offsets(kafka, catalog.TOPIC_INCOMING)
    ping = CloudEvent.create({"type": catalog.PING, "source": "/pingsources/outbox-relay-ping"}, {})
    assert await _deliver("outbox-relay", ping) == 200
    [(_, published)] = await read_events(
        kafka, catalog.TOPIC_INCOMING, since, where=lambda e: e["id"] == event["id"]
    )
    assert published["traceparent"] == row["traceparent"]

    finished = spans.get_finished_spans()
    publish = only(finished, "publish " + catalog.TOPIC_INCOMING)
    relay = only(finished, "outbox-relay")
    assert publish.context.trace_id == span.trace_id  # published in the message's trace…
    assert publish.parent is not None and publish.parent.span_id == span.span_id
    assert relay.context.trace_id != span.trace_id  # …not in the ping's


async def test_a_dead_lettered_message_stays_in_its_trace(
    app_env: str, spans: InMemorySpanExporter
) -> None:
    with tracing.tracer().start_as_current_span("accepting") as accepting:
        event = await accepted_event()
    dead = CloudEvent.create(
        dict(event.get_attributes())
        | {"knativeerrorcode": "500", "knativeerrordest": "http://agent-runner"},
        event.get_data(),
    )
    assert await _deliver("dead-letter", dead) == 200
    letter = only(spans.get_finished_spans(), "dead-letter")
    assert letter.context.trace_id == accepting.get_span_context().trace_id
    assert letter.parent is not None
    assert letter.parent.span_id == accepting.get_span_context().span_id


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """What every logger writes during the test, as the functions' JSON lines."""
    caplog.set_level(logging.INFO)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines("under-test"))
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


async def test_log_lines_carry_the_ticket_event_and_trace_and_nothing_of_the_customer(
    app_env: str, kafka: str, spans: InMemorySpanExporter, log_lines: io.StringIO
) -> None:
    ticket, received, reply = await _one_message_through_the_functions(kafka)

    text = log_lines.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # each line one JSON object
    the_trace = tracing.trace_id_of(received)
    handled = [line for line in lines if line["message"].startswith("handled ")]
    assert [(h["service"], h["event_id"], h["ticket"], h["trace_id"]) for h in handled] == [
        ("under-test", received["id"], ticket, the_trace),
        ("under-test", reply["id"], ticket, the_trace),
    ]
    [answered] = [line for line in lines if "answered 202" in line["message"]]
    assert (answered["ticket"], answered["trace_id"]) == (ticket, the_trace)
    personal = [*FORM.values(), "Zebedee", "Quillfeather", "4155552671", "purple elephant"]
    assert [p for p in personal if p.lower() in text.lower()] == []


async def test_a_refused_event_is_a_failed_span_that_names_the_refusal_not_the_content(
    app_env: str, spans: InMemorySpanExporter
) -> None:
    other = CloudEvent.create(
        {"type": "com.example.other", "source": "/x", "traceparent": PARENT},
        {"content": "ada@example.com wrote this"},
    )
    assert await _deliver("agent-runner", other) == 400
    runner = only(spans.get_finished_spans(), "agent-runner")
    assert format(runner.context.trace_id, "032x") == PARENT.split("-")[1]
    assert runner.status.status_code == StatusCode.ERROR
    assert runner.attributes is not None
    assert runner.attributes["http.response.status_code"] == 400
    assert runner.events == ()  # no exception event: its message may quote a customer
