"""The dev stack as the fault suite drives it: restarts of what dies, of the broker, of Postgres."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from aiokafka import AIOKafkaProducer
from cloudevents.http import CloudEvent
from prometheus_client.parser import text_string_to_metric_families

from events import catalog
from events.kafka import to_record
from shared.devstack.ports import free_port
from shared.devstack.stack import Stack, StackFailure

BOUND = 60.0  # seconds any recovery may take before the test fails


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = BOUND) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def _healthy(stack: Stack) -> bool:
    try:
        response = httpx.get(f"{stack.urls['ops']}/api/v1/health", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200


def _running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those still running; a zombie has exited (an orphan's may wait long for its reaper)."""
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    stack = Stack(
        data_dir=tmp_path / "data",
        port=free_port(),
        durable_broker=False,
        functions=[
            "ops",
            "ticket-status",
            "dead-letter",
        ],  # the dispatcher exits with no subscriber
        knowledge_base=None,
        env={"MODEL_TIMEOUT_SECONDS": "7"},
        ping_interval=2.5,
        log=lambda *_: None,
    )
    stack.start()
    try:
        _wait_until(lambda: _healthy(stack), "the ops function to report healthy")
        yield stack
    finally:
        stack.stop()


def test_a_killed_function_comes_back_on_its_port_and_answers(stack: Stack) -> None:
    before = stack.child("ops")
    pid, port, url = before.process.pid, before.port, stack.urls["ops"]
    arbiter = psutil.Process(pid)
    group = [arbiter, *arbiter.children(recursive=True)]
    assert len(group) > 1  # functions-framework: a gunicorn arbiter and its worker

    stack.kill("ops")
    assert not stack.child("ops").alive()
    _wait_until(lambda: _running(group) == [], "the pod to go, its worker too", timeout=10)
    assert stack.supervise() == ["ops"]

    after = stack.child("ops")
    assert after.process.pid != pid
    assert after.port == port and stack.urls["ops"] == url
    assert after.last_exit == -9
    _wait_until(lambda: _healthy(stack), "the restarted ops function to answer")
    assert stack.supervise() == []


def test_set_values_reach_the_functions_and_the_ping_interval_the_dispatcher(
    stack: Stack,
) -> None:
    assert stack.child("ops").spec.env["MODEL_TIMEOUT_SECONDS"] == "7"  # over the ConfigMap's 10
    assert stack.child("dispatcher").spec.env["FTE_PING_INTERVAL"] == "2.5"


def test_a_child_that_keeps_dying_at_start_is_a_crash_loop(stack: Stack) -> None:
    with pytest.raises(StackFailure, match="ticket-status is crash-looping"):
        for _ in range(5):  # dies on its own (not Stack.kill), right after each start
            stack.child("ticket-status").process.kill()
            stack.child("ticket-status").process.wait()
            stack.supervise()


def test_the_stack_is_healthy_again_after_postgres_restarts(stack: Stack) -> None:
    uri = stack.database_url
    stack.restart_postgres()
    assert stack.database_url == uri
    _wait_until(lambda: _healthy(stack), "health after the Postgres restart")


def test_the_stack_is_healthy_again_after_the_broker_restarts(stack: Stack) -> None:
    bootstrap, port = stack.bootstrap, stack.child("broker").port
    stack.restart_broker()
    assert stack.child("broker").alive() and stack.child("broker").port == port
    assert stack.bootstrap == bootstrap
    _wait_until(lambda: _healthy(stack), "health after the broker restart")


def test_stop_leaves_no_process_running_and_is_safe_twice(stack: Stack) -> None:
    assert stack.postgres is not None
    postmaster = psutil.Process(stack.postgres.get_pid())
    spawned = [psutil.Process(c.process.pid) for c in stack.children]
    spawned += [p for leader in spawned for p in leader.children(recursive=True)]
    names = {c.name for c in stack.children}
    assert {"ops", "ticket-status", "dead-letter", "broker", "dispatcher", "gateway"} <= names

    stack.stop()
    stack.stop()

    assert _running([postmaster, *spawned]) == []


@pytest.fixture
def idle_stack(tmp_path: Path) -> Iterator[tuple[Stack, list[str]]]:
    """ops has min-scale 1; ticket-status min-scale 0, here idle after 1.5 s instead of 90 s."""
    lines: list[str] = []
    stack = Stack(
        data_dir=tmp_path / "data",
        port=free_port(),
        durable_broker=False,
        functions=["ops", "ticket-status", "dead-letter"],
        knowledge_base=None,
        google=False,
        idle_period=1.5,
        log=lines.append,
    )
    stack.start()
    try:
        yield stack, lines
    finally:
        stack.stop()


def test_a_service_with_min_scale_0_stops_after_its_idle_period_but_one_with_min_scale_1_stays(
    idle_stack: tuple[Stack, list[str]],
) -> None:
    stack, lines = idle_stack

    _wait_until(lambda: not stack.supervise() and stack.scales["ticket-status"].at_zero, "zero")

    assert not stack.child("ticket-status").alive()
    assert stack.child("ops").alive() and not stack.scales["ops"].at_zero
    assert any(line.startswith("ticket-status: no request for") for line in lines)
    state = json.loads(stack.state_path.read_text())["services"]["ticket-status"]
    assert (state["desired"], state["actual"]) == (0, 0)
    assert state["revision"].startswith("ticket-status-")


def test_a_request_to_a_service_at_zero_waits_for_its_cold_start_and_is_answered(
    idle_stack: tuple[Stack, list[str]],
) -> None:
    stack, lines = idle_stack
    _wait_until(lambda: not stack.supervise() and stack.scales["ticket-status"].at_zero, "zero")
    answers: list[httpx.Response] = []
    url = f"{stack.gateway_url}/api/v1/tickets/TKT-0001?token=not-a-token"
    asking = threading.Thread(target=lambda: answers.append(httpx.get(url, timeout=60)))

    asking.start()  # the request waits in the socket's queue: nothing refuses it
    _wait_until(lambda: stack.supervise() == [] and not asking.is_alive(), "the answer")

    assert answers[0].status_code in (401, 403, 404)  # the function's own answer, not a 503
    assert stack.child("ticket-status").alive() and stack.scales["ticket-status"].cold_starts == 1
    _wait_until(lambda: any("cold start" in line and "answering" in line for line in lines), "log")
    assert (stack.scales["ticket-status"].last_cold_start or 0) > 0


def _samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _dead_letter_of_nothing() -> CloudEvent:
    """A message.received that exhausted its retries, whose data no longer reads: recorded."""
    return CloudEvent.create(
        {
            "type": catalog.MESSAGE_RECEIVED,
            "source": "/test",
            "partitionkey": "customer-1",
            "channel": "web_form",
            "datacontenttype": "application/json",
            "knativeerrorcode": "500",
        },
        {"unreadable": True},
    )


async def _publish(bootstrap: str, topic: str, event: CloudEvent) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        key, value, headers = to_record(event)
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


def test_each_function_process_and_the_dispatcher_serve_prometheus_metrics(stack: Stack) -> None:
    health = (
        "fte_http_requests_total",
        frozenset({("route", "/api/v1/health"), ("method", "GET"), ("status", "200")}),
    )
    ops_before = _samples(f"{stack.urls['ops']}/metrics")
    assert httpx.get(f"{stack.gateway_url}/api/v1/health", timeout=10).status_code == 200
    assert _samples(f"{stack.urls['ops']}/metrics")[health] == ops_before.get(health, 0) + 1

    handled = (
        "fte_events_total",
        frozenset({("type", catalog.MESSAGE_RECEIVED), ("outcome", "handled")}),
    )
    delivered = (
        "fte_dispatcher_deliveries_total",
        frozenset({("route", "dead-letter-source"), ("outcome", "delivered")}),
    )
    dead_letter = f"{stack.urls['dead-letter']}/metrics"
    asyncio.run(_publish(stack.bootstrap, catalog.TOPIC_DLQ, _dead_letter_of_nothing()))
    _wait_until(
        lambda: _samples(dead_letter).get(handled, 0) == 1, "the dead-letter function to count it"
    )
    _wait_until(
        lambda: _samples(stack.dispatcher_metrics_url).get(delivered, 0) == 1,
        "the dispatcher to count its delivery",
    )
    lag = ("fte_dispatcher_lag_records", frozenset({("route", "dead-letter-source")}))
    assert _samples(stack.dispatcher_metrics_url)[lag] >= 0
