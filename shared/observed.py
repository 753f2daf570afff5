"""What makes a function observable: its span in the message's trace, and its logs' context.

Every function's handler is wrapped in one of these, under functions-framework's decorator::

    @cloud_event
    @observed_event
    async def agent_runner(event: CloudEvent) -> None: ...

On its first call it starts the process's tracing and JSON logs, named after the function
(``agent_runner`` → ``agent-runner``, its Knative Service). Each call is one span named so: a
SERVER span for a request (continuing a W3C ``traceparent`` header when there is one), a
CONSUMER span for an event, continuing the trace the event carries. Logs inside carry the
event id and ticket number. Neither spans nor logs hold an exception's message (it may quote
a customer): its type says what failed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from cloudevents.http import CloudEvent
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from events.envelope import json_data
from shared import logs, tracing

R = TypeVar("R", bound=Response)
log = logging.getLogger("function")


def start(function: str) -> str:
    """Tracing and logs for this process, named after the function; returns the name."""
    name = function.replace("_", "-")
    logs.configure(name)
    tracing.start(name)
    return name


def observed_http(function: Callable[[Request], Awaitable[R]]) -> Callable[[Request], Awaitable[R]]:
    """A request is a SERVER span; an answer of 500 or more, or an exception, marks it failed."""

    @functools.wraps(function)
    async def handler(request: Request) -> R:
        name = start(function.__name__)
        with (
            logs.scope(),
            tracing.tracer().start_as_current_span(
                name,
                context=tracing.from_carrier(request.headers),
                kind=SpanKind.SERVER,
                attributes={
                    "faas.trigger": "http",
                    "http.request.method": request.method,
                    "url.path": request.url.path,  # the query (old ?token= links) stays out
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as span,
        ):
            try:
                response = await function(request)
            except Exception as exc:
                _failed(span, exc)
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR, f"answered {response.status_code}"))
            log.info("%s %s answered %s", request.method, request.url.path, response.status_code)
            return response

    return handler


def observed_event(
    function: Callable[[CloudEvent], Awaitable[None]],
) -> Callable[[CloudEvent], Awaitable[None]]:
    """An event is a CONSUMER span in the event's own trace; what it raises marks it failed."""

    @functools.wraps(function)
    async def handler(event: CloudEvent) -> None:
        name = start(function.__name__)
        with (
            logs.scope(),
            tracing.tracer().start_as_current_span(
                name,
                context=tracing.context_of(event),
                kind=SpanKind.CONSUMER,
                attributes={
                    "faas.trigger": "pubsub",
                    "cloudevents.event_id": str(event["id"]),
                    "cloudevents.event_type": str(event["type"]),
                    "cloudevents.event_source": str(event["source"]),
                },
                record_exception=False,
                set_status_on_exception=False,
            ) as span,
        ):
            about_event(event)
            try:
                await function(event)
            except HTTPException as refused:  # consume()'s 4xx: the event can never succeed
                span.set_attribute("http.response.status_code", refused.status_code)
                _failed(span, refused)
                log.warning("refused %s (%s)", event["type"], refused.status_code)
                raise
            except Exception as exc:
                _failed(span, exc)
                log.warning("failed on %s (%s): it is retried", event["type"], type(exc).__name__)
                raise
            log.info("handled %s", event["type"])

    return handler


def about_event(event: CloudEvent) -> None:
    """The current span and log lines are about this (incoming) event and its ticket."""
    logs.about(event_id=str(event["id"]))
    about_ticket_of(event)


def about_ticket_of(event: CloudEvent) -> None:
    """The current span and log lines are about the ticket ``event``'s data names, if any."""
    data = json_data(event)
    ticket = data.get("ticket_number") if isinstance(data, dict) else None
    if isinstance(ticket, str) and ticket:
        logs.about(ticket=ticket)
        trace.get_current_span().set_attribute("fte.ticket_number", ticket)


def _failed(span: Span, exc: BaseException) -> None:
    span.set_attribute("error.type", type(exc).__name__)
    span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
