"""Cold start and resident memory of each function process, on the running stack.

Cold start: a function's process is started again from its very spec (as Knative starts a
pod), and timed from the start to its first answer over HTTP, the moment Knative's readiness
probe would pass. The agent runner's model is loaded by the first message, not by that
answer, so it gets a second figure: restart to the first reply delivered to a message posted
the moment it answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
import httpx
import psutil

from shared.devstack.processes import Child
from shared.devstack.stack import Stack

FORM_PATH = "/api/v1/support/form"
FORM = {"name": "Cold", "subject": "Reset password", "message": "How do I reset my password?"}
Step = Callable[[str], None]


@dataclass(frozen=True)
class Started:
    name: str
    cold_start_ms: float  # process start to its first HTTP answer
    rss_mb: float  # resident memory of the process and its children, warm, before the restart


def rss_mb(child: Child) -> float:
    """Resident memory of the child and everything it spawned (the arbiter and its worker)."""
    try:
        root = psutil.Process(child.process.pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def cpu_seconds(child: Child) -> float:
    """CPU time (user + system) the child and everything it spawned have used so far."""
    try:
        root = psutil.Process(child.process.pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.cpu_times().user + p.cpu_times().system for p in processes)
    except psutil.NoSuchProcess:
        return float("nan")


def first_answer_ms(child: Child, url: str, timeout: float) -> float:
    """Restart ``child`` and wait for any HTTP answer from it; milliseconds from the start."""
    child.restart()
    started = time.perf_counter()
    deadline = started + timeout
    with httpx.Client(timeout=2) as client:
        while time.perf_counter() < deadline:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited on restart:\n{child.log_tail()}")
            try:
                client.get(url)
                return (time.perf_counter() - started) * 1000
            except httpx.TransportError:
                time.sleep(0.01)
    raise TimeoutError(f"{child.name} did not answer within {timeout}s")


async def _first_reply_ms(stack: Stack, started: float, timeout: float) -> float:
    """Post one form now (nothing else is posting) and wait for its reply to be delivered."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        since = await conn.fetchval("SELECT clock_timestamp()")
        async with httpx.AsyncClient(timeout=10) as client:
            form = {**FORM, "email": f"cold-{time.time_ns()}@bench.example"}
            url = stack.urls["intake-web-form"] + FORM_PATH
            (await client.post(url, json=form)).raise_for_status()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = await conn.fetchval(
                """SELECT 1 FROM messages AS c
                   JOIN messages AS r ON r.in_reply_to = c.id AND r.delivered_at IS NOT NULL
                   WHERE c.role = 'customer' AND c.created_at >= $1""",
                since,
            )
            if delivered:
                return (time.perf_counter() - started) * 1000
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    raise TimeoutError(f"no reply within {timeout}s of the agent runner's restart")


def measure(
    stack: Stack, step: Step, names: Sequence[str] | None = None, timeout: float = 60
) -> tuple[list[Started], float]:
    """Each function's cold start and memory (``names``, or all); and, when the agent runner is
    one of them, its restart → first reply."""
    results = []
    first_reply_ms = float("nan")
    for name, url in stack.urls.items():
        if names is not None and name not in names:
            continue
        step(f"cold start: {name}")
        child = stack.child(name)
        memory = rss_mb(child)
        if name == "agent-runner":
            started = time.perf_counter()
            ms = first_answer_ms(child, url, timeout)
            first_reply_ms = asyncio.run(_first_reply_ms(stack, started, timeout))
        else:
            ms = first_answer_ms(child, url, timeout)
        results.append(Started(name, ms, memory))
    return results, first_reply_ms
