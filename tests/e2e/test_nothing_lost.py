"""Nothing a customer sends is lost: through every process of the embedded stack."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest

from events.envelope import derived_id
from shared.devstack.ports import free_port
from shared.devstack.stack import Stack
from shared.throttle import unthrottled
from tests.e2e.conftest import UNTHROTTLED, DevStack, delivered_answers, start_dev, wait_for

pytestmark = pytest.mark.e2e

FORM = {
    "name": "Ada",
    "email": "ada@example.com",
    "subject": "Reset password",
    "message": "How do I reset my password?",
}


def _processes(stack: DevStack) -> set[int]:
    return {p.pid for p in psutil.Process(stack.process.pid).children(recursive=True)}


def test_an_accented_address_and_the_next_form_are_both_answered_with_no_restart(
    dev_stack: DevStack, api: httpx.Client
) -> None:
    before = _processes(dev_stack)
    accented = api.post("/api/v1/support/form", json={**FORM, "email": "josé@bücher.example"})
    ordinary = api.post("/api/v1/support/form", json=FORM)
    assert accented.status_code == ordinary.status_code == 202
    for receipt in (accented.json(), ordinary.json()):
        wait_for(
            lambda r=receipt: delivered_answers(api, r),
            60,
            f"an answer on {receipt['ticket_number']}",
        )
    assert _processes(dev_stack) == before
    assert "restarted" not in dev_stack.output.read_text()


def test_ctrl_c_in_a_burst_then_a_restart_answers_every_accepted_message(tmp_path: Path) -> None:
    """Accepted before the stop is answered after the restart, though the broker's log is gone."""
    args = ("--ping-every", "1", "--set", "REDELIVER_AFTER_SECONDS=5", *UNTHROTTLED)
    first = start_dev(tmp_path / "data", extra_args=args)
    accepted: list[dict[str, Any]] = []

    def post(n: int) -> None:
        form = {**FORM, "email": f"burst-{n}@example.com"}
        try:
            with httpx.Client(base_url=first.url, timeout=10) as client:
                response = client.post("/api/v1/support/form", json=form)
        except httpx.HTTPError:
            return  # refused while stopping: not accepted, nothing promised
        if response.status_code == 202:
            accepted.append(response.json())

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(post, n) for n in range(40)]
        wait_for(lambda: len(accepted) >= 10, 60, "the first accepted forms")
        assert first.stop() == 0  # Ctrl-C while the burst is still arriving
        concurrent.futures.wait(futures)
    assert accepted

    second = start_dev(tmp_path / "data", extra_args=args)
    try:
        with httpx.Client(base_url=second.url, timeout=30) as api:
            for receipt in accepted:
                answers = wait_for(
                    lambda r=receipt: delivered_answers(api, r),
                    120,
                    f"an answer on {receipt['ticket_number']}",
                )
                assert isinstance(answers, list) and len(answers) == 1
    finally:
        assert second.stop() == 0


async def _event_id(database_url: str, message_id: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(
            await conn.fetchval(
                "SELECT event_id FROM messages WHERE id = $1", uuid.UUID(message_id)
            )
        )
    finally:
        await conn.close()


ATTEMPT = re.compile(r"^agent-runner-source: event (?P<id>\S+) attempt (?P<n>\d+) failed")


def _attempt_times(log: Path, event_id: str) -> list[datetime]:
    """When the dispatcher logged each failed attempt at ``event_id`` (its log is JSON lines)."""
    times = []
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        match = ATTEMPT.match(entry.get("message", ""))
        if entry.get("level") == "WARNING" and match and match["id"] == event_id:
            times.append(datetime.fromisoformat(entry["time"]))
    return times


def test_a_failing_runner_is_retried_with_the_manifests_backoff_then_dead_lettered_and_the_customer_gets_one_apology(
    tmp_path: Path,
) -> None:
    stack = Stack(
        data_dir=tmp_path / "data",
        port=free_port(),
        durable_broker=False,
        knowledge_base=None,
        env=unthrottled(),  # the test polls the status page faster than a person would
        log=lambda *_: None,
    )
    stack.start()
    try:
        [source] = [s for s in stack.manifests.subscriptions if s.subscriber == "agent-runner"]
        stack.kill("agent-runner")  # down for good: nothing supervises this stack
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as api:
            receipt = api.post("/api/v1/support/form", json=FORM).json()
            answers = wait_for(lambda: delivered_answers(api, receipt), 90, "the apology")
            assert isinstance(answers, list) and len(answers) == 1
            assert "sorry" in answers[0]["content"].lower()
            ticket = api.get(
                f"/api/v1/tickets/{receipt['ticket_number']}",
                headers={"authorization": f"Bearer {receipt['access_token']}"},
            ).json()
        assert (ticket["status"], ticket["escalation_reason"]) == ("escalated", "agent_error")

        event_id = asyncio.run(_event_id(stack.database_url, receipt["message_id"]))
        times = _attempt_times(stack.log_dir / "dispatcher.log", event_id)
        assert len(times) == source.delivery.retry + 1
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        for k, gap in enumerate(gaps, start=1):
            expected = source.delivery.backoff(k)  # retry k waits delay * 2^k
            assert expected - 0.01 <= gap < expected + 1.5, (k, gap, expected)
        assert answers[0]["id"] == str(
            uuid.uuid5(uuid.NAMESPACE_URL, f"{derived_id(event_id, 'apology')}/message")
        )
    finally:
        stack.stop()
