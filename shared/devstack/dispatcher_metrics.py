"""The dev dispatcher's own Prometheus metrics, on ``GET /metrics`` of its FTE_METRICS_PORT.

By route (a KafkaSource's or a Trigger's name in ``knative/``):
- ``fte_dispatcher_deliveries_total{route, outcome}``: ``delivered`` (the subscriber's 2xx) or
  ``dead_lettered`` (produced to the route's dead-letter sink);
- ``fte_dispatcher_retries_total{route}``: attempts made again after a retryable failure;
- ``fte_dispatcher_lag_records{route}``: records behind on the route's topics, read from the
  broker at each scrape (``shared.consumer_lag``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import uvicorn
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.consumer_lag import consumer_lag

log = logging.getLogger("dispatcher")

REGISTRY = CollectorRegistry()
DELIVERIES = Counter(
    "fte_dispatcher_deliveries",
    "Records delivered or dead-lettered",
    ["route", "outcome"],
    registry=REGISTRY,
)
RETRIES = Counter("fte_dispatcher_retries", "Deliveries tried again", ["route"], registry=REGISTRY)
LAG = Gauge(
    "fte_dispatcher_lag_records",
    "Records behind the end of the route's topics (-1: the broker did not say)",
    ["route"],
    registry=REGISTRY,
)


def delivered(route: str) -> None:
    DELIVERIES.labels(route, "delivered").inc()


def dead_lettered(route: str) -> None:
    DELIVERIES.labels(route, "dead_lettered").inc()


def retried(route: str) -> None:
    RETRIES.labels(route).inc()


def metrics_app(bootstrap: str, routes: dict[str, str]) -> Starlette:
    """``routes``: consumer group → route name, the routes this dispatcher runs."""
    for route in routes.values():  # every route shows from the start, at zero
        DELIVERIES.labels(route, "delivered")
        DELIVERIES.labels(route, "dead_lettered")
        RETRIES.labels(route)

    async def metrics(request: Request) -> Response:
        try:
            lags = {lag.group: lag.records for lag in await consumer_lag(bootstrap)}
        except Exception as exc:
            log.info("metrics: consumer lag unknown (%s)", type(exc).__name__)
            lags = {}
        for group, route in routes.items():
            LAG.labels(route).set(lags.get(group, -1))
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", metrics, methods=["GET"])])


class _Server(uvicorn.Server):
    """Leaves the signals to the dispatcher, whose SIGINT/SIGTERM handler stops everything."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_metrics(app: Starlette, port: int) -> None:
    """Until cancelled, with the dispatcher."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    await _Server(config).serve()
