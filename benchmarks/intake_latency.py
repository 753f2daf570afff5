"""How fast a customer gets a ticket number, and how soon the agent's reply is visible.

Starts the embedded stack (broker log on S3, as ``nox -s dev``), then posts support forms through
the gateway and reports the webhook's answer time and post → visible reply time, next to a bare
functions-framework function measured the same way in the same run.

    python -m benchmarks.intake_latency [--posts 300] [--replies 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from benchmarks.webhooks import bare_function
from shared.devstack.temporary import temporary_stack

UNLIMITED_AGENT = {"AGENT_RUNS_PER_MINUTE": "0"}  # the load is one address; raw agent speed
FORM = {"name": "Bench", "subject": "Reset password", "message": "How do I reset my password?"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<38} n={len(values_ms):<4} p50={percentile(values_ms, 50):7.1f} ms  "
        f"p99={percentile(values_ms, 99):7.1f} ms  max={max(values_ms):7.1f} ms"
    )


def time_posts(
    client: httpx.Client, url: str, n: int, body: dict[str, str] | None = None
) -> list[float]:
    times = []
    for i in range(n):
        payload = {**FORM, "email": f"bench{i}@example.com"} if body is None else body
        started = time.perf_counter()
        response = client.post(url, json=payload)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 202:
            sys.exit(f"unexpected {response.status_code}: {response.text}")
    return times


def time_to_reply(client: httpx.Client, base: str, n: int, timeout: float = 30) -> list[float]:
    times = []
    for i in range(n):
        started = time.perf_counter()
        receipt = client.post(
            f"{base}/api/v1/support/form", json={**FORM, "email": f"reply{i}@example.com"}
        ).json()
        deadline = started + timeout
        while time.perf_counter() < deadline:
            ticket = client.get(receipt["status_url"]).json()
            if any(m["role"] == "agent" for m in ticket.get("messages", [])):
                times.append((time.perf_counter() - started) * 1000)
                break
            time.sleep(0.005)
        else:
            sys.exit(f"no reply for {receipt['ticket_number']} within {timeout}s")
    return times


async def unanswered(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM tickets WHERE status = 'received'"))
    finally:
        await conn.close()


def wait_until_answered(database_url: str, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if asyncio.run(unanswered(database_url)) == 0:
            return True
        time.sleep(0.05)
    return False


def bare_baseline(log_dir: Path, n: int) -> list[float]:
    with bare_function(log_dir) as (url, _), httpx.Client(timeout=30) as client:
        time_posts(client, url, 20, body={})  # warm up
        return time_posts(client, url, n, body={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--replies", type=int, default=30)
    parser.add_argument(
        "--memory-broker", action="store_true", help="broker log in memory, not on S3"
    )
    args = parser.parse_args()

    with temporary_stack(durable_broker=not args.memory_broker, env=UNLIMITED_AGENT) as stack:
        base = stack.gateway_url
        with httpx.Client(timeout=30) as client:
            time_to_reply(client, base, 5)  # warm up pools, models and consumer groups
            replies = time_to_reply(client, base, args.replies)
            direct = time_posts(
                client, f"{stack.urls['intake-web-form']}/api/v1/support/form", args.posts
            )
            gateway = time_posts(client, f"{base}/api/v1/support/form", args.posts)
            posted_at = time.perf_counter()
            backlog = asyncio.run(unanswered(stack.database_url))
            drained = wait_until_answered(stack.database_url, timeout=300)
            drain_seconds = time.perf_counter() - posted_at
        baseline = bare_baseline(stack.log_dir, args.posts)
    print("\nsequential requests, one client, loopback (ms)")
    print(summary("baseline: bare function, 202", baseline))
    print(summary("intake-web-form, direct", direct))
    print(summary("intake-web-form, through the gateway", gateway))
    print(summary("post → agent reply visible (idle system)", replies))
    print(
        f"agent-runner drained a backlog of {backlog} messages in {drain_seconds:.1f}s "
        f"({backlog / drain_seconds:.0f} messages/s)"
        if drained
        else "backlog not drained in 300s"
    )
    print(
        f"\nintake cost over the bare function at p50: "
        f"{percentile(direct, 50) - percentile(baseline, 50):.1f} ms "
        f"(ticket row + Kafka produce with acks=all to the S3-backed broker)"
    )


if __name__ == "__main__":
    main()
