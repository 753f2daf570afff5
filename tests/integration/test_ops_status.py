"""``fte ops status`` on the live local stack: functions, routes, a dead letter, while traffic flows."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from events import catalog
from shared.devstack.ports import free_port
from shared.devstack.stack import REPO, Stack

FUNCTIONS = ["intake-web-form", "agent-runner", "send-web", "dead-letter", "ops", "ticket-status"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(
        data_dir=tmp_path_factory.mktemp("ops-status") / "data",
        port=free_port(),
        durable_broker=False,
        functions=FUNCTIONS,
        google=False,
        knowledge_base=None,
        log=lambda *_: None,
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def fte_ops_status(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli",
            "ops",
            "status",
            "--data-dir",
            str(stack.data_dir),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def status_json(stack: Stack) -> dict[str, Any]:
    done = fte_ops_status(stack, "--json")
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


async def produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"not-a-cloudevent")
    finally:
        await producer.stop()


def route(status: dict[str, Any], subscriber: str, kind: str) -> dict[str, Any]:
    return next(r for r in status["routes"] if r["subscriber"] == subscriber and r["kind"] == kind)


def test_ops_status_shows_functions_routes_and_a_dead_letter_while_traffic_flows(
    stack: Stack,
) -> None:
    for i in range(3):
        receipt = httpx.post(
            f"{stack.gateway_url}/api/v1/support/form",
            json={
                "name": "Ops",
                "email": f"ops{i}@example.com",
                "subject": "Reset password",
                "message": "How do I reset my password?",
            },
            timeout=30,
        )
        assert receipt.status_code == 202, receipt.text
    # A record that is no CloudEvent on the Broker's topic: its Triggers dead-letter it.
    asyncio.run(produce(stack.bootstrap, catalog.TOPIC_OUTGOING, b"not a cloudevent"))

    def settled() -> dict[str, Any] | None:
        status = status_json(stack)
        intake = route(status, "agent-runner", "KafkaSource")
        web = route(status, "send-web", "Trigger")
        done = intake["delivered"] >= 3 and intake["lag"] == 0 and web["dead_lettered"] >= 1
        return status if done else None

    status = wait_for(settled, "the three messages delivered and the poison record dead-lettered")

    functions = {f["name"]: f for f in status["functions"]}
    assert set(functions) == set(FUNCTIONS)
    runner = functions["agent-runner"]
    assert runner["ready"] and (runner["desired"], runner["actual"]) == (1, 1)
    assert runner["revision"].startswith("agent-runner-")
    assert route(status, "send-web", "Trigger")["lag"] == 0
    assert route(status, "agent-runner", "KafkaSource")["dead_lettered"] == 0
    assert status["dead_letter_depth"][catalog.TOPIC_DLQ] >= 1
    assert all(isinstance(r["retried"], int) for r in status["routes"])  # the dispatcher's count


def test_ops_status_prints_a_table_of_functions_and_routes(stack: Stack) -> None:
    done = fte_ops_status(stack)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("local stack")
    header = next(line for line in lines if line.startswith("FUNCTION"))
    assert header.split() == ["FUNCTION", "REVISION", "READY", "SCALE", "LAST", "CHANGE"]
    assert any(line.split()[:1] == ["agent-runner"] and "1/1" in line for line in lines)
    assert any(line.startswith("ROUTE") and "DEAD-LETTERED" in line for line in lines)
    assert lines[-1].startswith("Dead-letter topics: ")


def test_ops_status_without_a_running_stack_says_how_to_start_one(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shared.cli", "ops", "status", "--data-dir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1
    assert "no running dev stack" in done.stderr and "nox -s dev" in done.stderr
