"""Prometheus metrics of every function, in one place: the objects and what records into them.

Each function process exposes them at ``/metrics`` (``shared.serving``). Every label value is
from a bounded set, whatever a request or an event says: routes are path templates (segments
that are not plain words become ``{id}``, and past ``MAX_ROUTES`` distinct ones, ``other``),
event types are the catalog's or ``other``, escalation reasons the ones the code writes.

- ``fte_http_requests_total`` / ``fte_http_request_duration_seconds``: by route, method, status.
- ``fte_events_total`` / ``fte_event_duration_seconds``: CloudEvents by type and outcome:
  ``handled`` (2xx), ``rejected`` (4xx that is not retried: the dead letter has it next) or
  ``retried`` (5xx and Knative's retried 4xx: each one is a retry of the delivery).
- ``fte_dead_letters_total``: dead letters recorded, by event type and the failed status.
- ``fte_escalations_total``: tickets handed to a person, by reason and channel.
- ``fte_model_latency_seconds``: each model call of the agent runner, by model.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar, get_args

from cloudevents.http import CloudEvent
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException

from events import catalog
from events.envelope import json_data
from events.models import Channel

MAX_ROUTES = 100
EVENT_TYPES = frozenset(
    {catalog.MESSAGE_RECEIVED, catalog.REPLY_READY, catalog.ESCALATED, catalog.PING}
)
RETRIED_4XX = frozenset({404, 408, 409, 429})  # what Knative's delivery retries (KNATIVE.md)
CHANNELS = frozenset(get_args(Channel))
_REASON = re.compile(r"^[a-z_]{1,40}$")  # the code's own reason codes (shared/agent/reasons.py)
_WORD = re.compile(r"^(?:[a-z]+|v\d+)$")
_MAX_SEGMENTS = 6

HTTP_REQUESTS = Counter(
    "fte_http_requests", "HTTP requests answered", ["route", "method", "status"]
)
HTTP_SECONDS = Histogram(
    "fte_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENTS = Counter("fte_events", "CloudEvents delivered to this function", ["type", "outcome"])
EVENT_SECONDS = Histogram(
    "fte_event_duration_seconds",
    "Time to handle a delivered CloudEvent",
    ["type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25),
)
DEAD_LETTERS = Counter("fte_dead_letters", "Dead letters recorded", ["type", "code"])
ESCALATIONS = Counter("fte_escalations", "Tickets handed to a person", ["reason", "channel"])
MODEL_SECONDS = Histogram(
    "fte_model_latency_seconds",
    "One model call of the agent (a turn makes one or more)",
    ["model"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

_routes: set[str] = set()


@functools.lru_cache(maxsize=1024)
def _template(path: str) -> str:
    segments = [s if _WORD.match(s) else "{id}" for s in path.strip("/").split("/") if s]
    more = "/…" if len(segments) > _MAX_SEGMENTS else ""
    return "/" + "/".join(segments[:_MAX_SEGMENTS]) + more


def route_of(path: str) -> str:
    """The path as a template: ``/api/v1/tickets/TKT-0001/messages`` → ``/api/v1/tickets/{id}/messages``."""
    route = _template(path)
    if route not in _routes:
        if len(_routes) >= MAX_ROUTES:
            return "other"
        _routes.add(route)
    return route


@functools.lru_cache(maxsize=4096)
def _request_series(route: str, method: str, status: int) -> tuple[Any, Any]:
    """The two children of one label set (``labels()`` costs a lock and a lookup each time)."""
    labels = (route, method if method.isalpha() and len(method) <= 7 else "other", str(status))
    return HTTP_REQUESTS.labels(*labels), HTTP_SECONDS.labels(*labels)


def request_answered(path: str, method: str, status: int, seconds: float) -> None:
    count, duration = _request_series(route_of(path), method, status)
    count.inc()
    duration.observe(seconds)


def event_type(event: CloudEvent) -> str:
    kind = str(event.get("type"))
    return kind if kind in EVENT_TYPES else "other"


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "handled"
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return "rejected" if 400 <= status < 500 and status not in RETRIED_4XX else "retried"


_Handle = TypeVar("_Handle")


def counts_events(
    consume: Callable[[CloudEvent, _Handle], Awaitable[None]],
) -> Callable[[CloudEvent, _Handle], Awaitable[None]]:
    """Count and time each event ``consume`` is given, by type and by how it ended."""

    @functools.wraps(consume)
    async def counted(event: CloudEvent, handle: _Handle) -> None:
        started, failure = time.perf_counter(), None
        try:
            await consume(event, handle)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            labels = (event_type(event), _outcome(failure))
            EVENTS.labels(*labels).inc()
            EVENT_SECONDS.labels(*labels).observe(time.perf_counter() - started)

    return counted


def dead_letter_recorded(event: CloudEvent) -> None:
    code = str(event.get("knativeerrorcode") or "none")
    DEAD_LETTERS.labels(
        event_type(event), code if code.isdigit() and len(code) == 3 else "other"
    ).inc()


def escalations_committed(events: Iterable[CloudEvent]) -> None:
    """Count the ``ticket.escalated`` events among those a committed transaction emits."""
    for event in events:
        if event["type"] != catalog.ESCALATED:
            continue
        data = json_data(event) or {}
        escalated(str(data.get("reason")), str(event.get("channel")))


def escalated(reason: str, channel: str) -> None:
    """One ticket handed to a person, counted after the commit that did it."""
    ESCALATIONS.labels(
        reason if _REASON.match(reason) else "other", channel if channel in CHANNELS else "other"
    ).inc()


def model_call(model: str, seconds: float) -> None:
    MODEL_SECONDS.labels(model).observe(seconds)
