"""Every function's Prometheus /metrics, scraped from the real function after real work."""

from __future__ import annotations

import uuid

import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent
from prometheus_client.parser import text_string_to_metric_families

from events import catalog
from shared.config import get_settings
from shared.db import close_pool
from shared.devstack.manifests import load
from tests.accepted import accepted_event
from tests.functions_under_test import function_client

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(service: str) -> Samples:
    async with function_client(service) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


def _ping(event_type: str = catalog.PING) -> CloudEvent:
    return CloudEvent.create(
        {"id": str(uuid.uuid4()), "type": event_type, "source": "/test/ping"}, {"tick": 1}
    )


async def _post(service: str, event: CloudEvent, structured: bool = False) -> int:
    headers, body = (to_structured if structured else to_binary)(event)
    async with function_client(service) as client:
        return (await client.post("/", headers=headers, content=body)).status_code


@pytest.mark.parametrize("service", sorted(load().services))
async def test_every_function_serves_its_metrics_beside_its_handler(service: str) -> None:
    async with function_client(service) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    for family in ("fte_http_requests", "fte_events", "fte_model_latency_seconds"):
        assert f"# TYPE {family}" in response.text


async def test_a_request_is_counted_and_timed_by_route_template_method_and_status(
    app_env: str,
) -> None:
    before = await scrape("ticket-status")
    async with function_client("ticket-status") as client:
        response = await client.get("/api/v1/tickets/TKT-9999", params={"token": "x"})
    assert response.status_code == 404
    after = await scrape("ticket-status")
    labels = {"route": "/api/v1/tickets/{id}", "method": "GET", "status": "404"}
    assert moved(before, after, "fte_http_requests_total", **labels) == 1
    assert moved(before, after, "fte_http_request_duration_seconds_count", **labels) == 1
    assert not [k for k in after if ("route", "/api/v1/tickets/TKT-9999") in k[1]]


@pytest.mark.parametrize("structured", [False, True], ids=["binary", "structured"])
async def test_an_event_is_counted_by_type_and_how_it_ended(app_env: str, structured: bool) -> None:
    before = await scrape("outbox-relay")
    assert await _post("outbox-relay", _ping(), structured) == 200
    assert await _post("outbox-relay", _ping(catalog.REPLY_READY), structured) == 400
    assert await _post("outbox-relay", _ping("com.example.anything"), structured) == 400
    after = await scrape("outbox-relay")
    assert moved(before, after, "fte_events_total", type=catalog.PING, outcome="handled") == 1
    rejected = {"outcome": "rejected"}
    assert moved(before, after, "fte_events_total", type=catalog.REPLY_READY, **rejected) == 1
    assert moved(before, after, "fte_events_total", type="other", **rejected) == 1
    ok = {"route": "/", "method": "POST", "status": "200"}
    assert moved(before, after, "fte_http_requests_total", **ok) == 1


async def test_an_event_that_fails_is_counted_as_retried(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await scrape("outbox-relay")
    await close_pool()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # it went away
    get_settings.cache_clear()
    status = await _post("outbox-relay", _ping())
    after = await scrape("outbox-relay")
    assert status == 500
    assert moved(before, after, "fte_events_total", type=catalog.PING, outcome="retried") == 1
    assert (
        moved(before, after, "fte_http_requests_total", route="/", method="POST", status="500") == 1
    )


@pytest.mark.knowledge_base
async def test_agent_turns_time_the_model_and_count_escalations_by_reason(app_env: str) -> None:
    before = await scrape("agent-runner")
    assert await _post("agent-runner", await accepted_event("How do I reset my password?")) == 200
    assert await _post("agent-runner", await accepted_event("Please refund my last invoice")) == 200
    after = await scrape("agent-runner")
    model = {"model": "offline-deterministic-v1"}
    assert moved(before, after, "fte_model_latency_seconds_count", **model) >= 1
    refund = {"reason": "refund_request", "channel": "web_form"}
    assert moved(before, after, "fte_escalations_total", **refund) == 1
    handled = {"type": catalog.MESSAGE_RECEIVED, "outcome": "handled"}
    assert moved(before, after, "fte_events_total", **handled) == 2


@pytest.mark.knowledge_base
async def test_a_dead_letter_is_counted_with_its_status_and_the_handover_it_causes(
    app_env: str,
) -> None:
    event = await accepted_event()
    attributes = dict(event.get_attributes()) | {
        "knativeerrorcode": "500",
        "knativeerrordest": "http://agent-runner",
    }
    before = await scrape("dead-letter")
    assert await _post("dead-letter", CloudEvent.create(attributes, event.get_data())) == 200
    after = await scrape("dead-letter")
    dead = {"type": catalog.MESSAGE_RECEIVED, "code": "500"}
    assert moved(before, after, "fte_dead_letters_total", **dead) == 1
    handover = {"reason": "agent_error", "channel": "web_form"}
    assert moved(before, after, "fte_escalations_total", **handover) == 1
