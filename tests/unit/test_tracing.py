"""The trace context in the events, and where the spans go."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from cloudevents.http import CloudEvent
from opentelemetry import trace
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.envelope import TRACEPARENT, TRACESTATE
from events.http import percent_encoded
from shared import tracing
from shared.config import get_settings
from tests.serving import serve

PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _event(**attributes: str) -> CloudEvent:
    return CloudEvent.create({"type": "t", "source": "/s"} | attributes, {})


def test_an_event_gets_the_context_of_the_span_that_emits_it() -> None:
    provider = TracerProvider()
    event = _event()
    with provider.get_tracer("t").start_as_current_span("emitting") as span:
        tracing.stamp(event)
    context = span.get_span_context()
    assert event[TRACEPARENT] == (
        f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"
    )


def test_an_event_that_carries_a_context_keeps_it_when_published_again_elsewhere() -> None:
    event = _event(traceparent=PARENT, tracestate="fte=1")
    with TracerProvider().get_tracer("t").start_as_current_span("relaying"):
        tracing.stamp(event)
    assert (event[TRACEPARENT], event[TRACESTATE]) == (PARENT, "fte=1")


def test_a_consumer_continues_the_trace_of_a_binary_mode_event_with_percent_encoded_state() -> None:
    event = _event(traceparent=PARENT, tracestate=percent_encoded("vendor=a b,fte=1"))
    parent = trace.get_current_span(tracing.context_of(event)).get_span_context()
    assert format(parent.trace_id, "032x") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert parent.is_remote and parent.trace_state.get("fte") == "1"


def test_an_event_without_a_context_starts_a_new_trace() -> None:
    assert tracing.trace_id_of(_event()) is None
    assert tracing.trace_id_of(_event(traceparent="not-a-traceparent")) is None


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


class _Collector:
    """An OTLP/HTTP trace collector: what it was sent, decoded."""

    def __init__(self) -> None:
        self.received: list[ExportTraceServiceRequest] = []

    async def traces(self, request: Request) -> Response:
        self.received.append(ExportTraceServiceRequest.FromString(await request.body()))
        return Response(b"", media_type="application/x-protobuf")

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/traces", self.traces, methods=["POST"])])


async def test_spans_go_to_the_otlp_collector_named_in_the_environment_under_the_function_name(
    settings_env: pytest.MonkeyPatch,
) -> None:
    collector = _Collector()
    async with serve(collector.app()) as url:
        settings_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
        provider = tracing.provider_for("agent-runner")
        provider.get_tracer("t").start_span("agent-runner").end()
        assert await asyncio.to_thread(provider.force_flush, 10_000)
        provider.shutdown()
    [sent] = collector.received
    [resource] = sent.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}["service.name"]
    assert service == "agent-runner"
    assert [s.name for scope in resource.scope_spans for s in scope.spans] == ["agent-runner"]


async def test_without_an_otlp_endpoint_no_span_leaves_the_process(
    settings_env: pytest.MonkeyPatch,
) -> None:
    collector = _Collector()
    async with serve(collector.app()) as url:
        # Only the endpoint decides: the exporter's other variables alone send nothing.
        settings_env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        settings_env.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url + "/v1/traces")
        settings_env.setenv("OTEL_SERVICE_NAME", "renamed")
        provider = tracing.provider_for("agent-runner")
        provider.get_tracer("t").start_span("agent-runner").end()
        assert await asyncio.to_thread(provider.force_flush, 10_000)
        provider.shutdown()
    assert collector.received == []
    assert provider.resource.attributes["service.name"] == "renamed"
