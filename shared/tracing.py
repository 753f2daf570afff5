"""Traces: one customer message is one trace, from its webhook through every function it reaches.

The trace context travels inside the events, as the CloudEvents distributed-tracing extension
(``traceparent`` / ``tracestate``, ``events.envelope``): an event gets the context of the span
that emitted it (``stamp``, when it is written to the outbox), the outbox keeps it in a column
of its own, every publish carries it, and the function the event reaches continues from it
(``context_of``). A re-published or replayed event keeps the context it was first given.

Spans are made in every process (so trace ids reach the events and the logs); they leave the
process only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` names an OTLP (HTTP) collector.
"""

from __future__ import annotations

from collections.abc import Mapping

from cloudevents.http import CloudEvent
from opentelemetry import context, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from events.envelope import TRACE_ATTRIBUTES, TRACEPARENT, TRACESTATE
from events.http import percent_decoded_value
from shared.config import TracingSettings

_propagator = TraceContextTextMapPropagator()
_started = False


def start(service: str) -> None:
    """Install this process's tracer provider, once; one already installed (a test's) is kept."""
    global _started
    if _started:
        return
    _started = True
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider_for(service))


def provider_for(service: str) -> TracerProvider:
    """Spans named ``service`` (unless ``OTEL_SERVICE_NAME`` says otherwise), exported over OTLP
    when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and kept nowhere when it is not."""
    settings = TracingSettings()
    name = settings.otel_service_name or service
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint + /v1/traces, headers…).
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def tracer() -> trace.Tracer:
    return trace.get_tracer("digital-fte")


def stamp(event: CloudEvent) -> None:
    """Give ``event`` the current span's context, unless it carries one already."""
    if event.get(TRACEPARENT):
        return
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    for name in TRACE_ATTRIBUTES:
        if carrier.get(name):
            event[name] = carrier[name]


def context_of(event: CloudEvent) -> context.Context:
    """The context to continue ``event``'s trace in: a new trace when it carries none.

    Attribute values are percent-decoded, as a binary-mode receiver must (``events.http``).
    """
    return from_carrier(
        {
            name: percent_decoded_value(str(event.get(name)))
            for name in TRACE_ATTRIBUTES
            if event.get(name)
        }
    )


def from_carrier(carrier: Mapping[str, str]) -> context.Context:
    """The context named by W3C ``traceparent`` / ``tracestate`` entries (headers, a row)."""
    return _propagator.extract(carrier, context=context.Context())


def trace_fields(event: CloudEvent) -> tuple[str | None, str | None]:
    """(traceparent, tracestate) of ``event``, as the outbox stores them."""
    parent, state = event.get(TRACEPARENT), event.get(TRACESTATE)
    return (str(parent) if parent else None, str(state) if state else None)


def trace_id_of(event: CloudEvent) -> str | None:
    """The 32-hex-digit trace id ``event`` belongs to, if it carries a valid context."""
    span = trace.get_current_span(context_of(event)).get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else None
