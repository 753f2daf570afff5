"""Post → reply delivered at fixed message rates, and the highest rate the system sustains.

Support forms are offered open loop (k6) to intake-web-form; the times come from Postgres:
the customer message's commit (``messages.created_at``, the intake's transaction) to its
reply marked delivered by send-web (``delivered_at``). The offline model answers.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from benchmarks.cold import cpu_seconds
from benchmarks.load import Answered, offer
from benchmarks.stats import percentile
from shared.devstack.stack import Stack

FORM_PATH = "/api/v1/support/form"
LAG_BOUND_SECONDS = 5  # unanswered messages beyond this many seconds of arrivals: not sustained
Step = Callable[[str], None]

_REPLY_TIMES = """
SELECT extract(epoch FROM r.delivered_at - c.created_at) * 1000 AS ms
FROM messages AS c
LEFT JOIN messages AS r ON r.in_reply_to = c.id AND r.direction = 'outbound'
WHERE c.role = 'customer' AND c.created_at >= $1 AND c.created_at < $2
"""
_UNANSWERED = """
SELECT count(*) FROM messages AS c
WHERE c.role = 'customer' AND c.created_at >= $1 AND NOT EXISTS (
    SELECT 1 FROM messages AS r
    WHERE r.in_reply_to = c.id AND r.direction = 'outbound' AND r.delivered_at IS NOT NULL)
"""

_TURNS = "SELECT coalesce(array_agg(latency_ms), '{}') FROM agent_metrics WHERE created_at >= $1"


@dataclass(frozen=True)
class Replies:
    rate: int
    seconds: float
    accepted: int  # the posts the intake answered 2xx
    replied: int  # of the customer messages stored, those with a delivered reply
    lost: int  # accepted but never replied to within the bound
    backlog_at_end: int  # stored but not yet replied when the offered load stopped
    cut_short: bool  # the backlog passed the lag bound, so the load stopped early
    p50_ms: float
    p95_ms: float
    max_ms: float
    turn_p50_ms: float  # the agent's turn (agent_metrics.latency_ms): no model time to speak
    turn_p95_ms: float  # of with the offline model, which does no I/O
    agent_cpu_ms_per_message: float  # the agent runner's CPU time over the run, per reply
    webhook: Answered

    @property
    def sustained(self) -> bool:
        """The whole time at the rate, nothing lost, the lag within its bound throughout."""
        return self.lost == 0 and not self.cut_short


async def _now(conn: asyncpg.Connection) -> datetime:
    return await conn.fetchval("SELECT clock_timestamp()")  # type: ignore[no-any-return]


async def _wait_answered(conn: asyncpg.Connection, since: datetime, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        left = int(await conn.fetchval(_UNANSWERED, since))
        if left == 0 or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.2)


async def _run(stack: Stack, rate: int, seconds: float, drain_timeout: float, tag: str) -> Replies:
    """Offer ``rate`` forms a second; stop early once the backlog passes the lag bound, so a
    rate the system cannot take leaves it a bounded amount of work to catch up on."""
    conn = await asyncpg.connect(stack.database_url)
    cpu_before = cpu_seconds(stack.child("agent-runner"))
    try:
        started = await _now(conn)
        url = stack.urls["intake-web-form"] + FORM_PATH
        stop = threading.Event()
        load = asyncio.create_task(
            asyncio.to_thread(offer, "web-form", url, rate, seconds, {"TAG": tag}, stop)
        )
        backlog = 0
        while not load.done():
            await asyncio.wait({load}, timeout=0.5)
            backlog = int(await conn.fetchval(_UNANSWERED, started))
            if backlog > LAG_BOUND_SECONDS * rate:
                stop.set()
        webhook = await load
        stopped = await _now(conn)
        await _wait_answered(conn, started, drain_timeout)
        rows = await conn.fetch(_REPLY_TIMES, started, stopped)
        turns = [float(t) for t in await conn.fetchval(_TURNS, started)]
    finally:
        await conn.close()
    agent_cpu = cpu_seconds(stack.child("agent-runner")) - cpu_before
    times = [float(r["ms"]) for r in rows if r["ms"] is not None]
    accepted = webhook.sent - webhook.failed
    return Replies(
        rate=rate,
        seconds=seconds,
        accepted=accepted,
        replied=len(times),
        lost=max(0, accepted - len(times)),
        backlog_at_end=backlog,
        cut_short=stop.is_set(),
        p50_ms=percentile(times, 50) if times else float("nan"),
        p95_ms=percentile(times, 95) if times else float("nan"),
        max_ms=max(times) if times else float("nan"),
        turn_p50_ms=percentile(turns, 50) if turns else float("nan"),
        turn_p95_ms=percentile(turns, 95) if turns else float("nan"),
        agent_cpu_ms_per_message=agent_cpu * 1000 / len(turns) if turns else float("nan"),
        webhook=webhook,
    )


def at_rate(stack: Stack, rate: int, seconds: float, drain_timeout: float, tag: str) -> Replies:
    return asyncio.run(_run(stack, rate, seconds, drain_timeout, tag))


def highest_sustained(
    stack: Stack, first: int, steps: int, seconds: float, drain_timeout: float, step: Step
) -> tuple[int, list[Replies]]:
    """Bisect for the highest rate sustained for ``seconds``: ``first`` msgs/s, then half way
    up (to twice ``first``) or down, ``steps`` runs in all; that rate (0 for none) and the runs."""
    runs: list[Replies] = []
    low, high, rate = 0, 2 * first, first
    for n in range(steps):
        step(f"sustained? {rate} msgs/s for {seconds:.0f} s")
        run = at_rate(stack, rate, seconds, drain_timeout, f"s{n}")
        runs.append(run)
        if run.sustained:
            low = rate
        else:
            high = rate
        rate = (low + high) // 2
        if rate in (low, high):
            break
    return low, runs
