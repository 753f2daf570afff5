"""The fault suite: a mixed load on the embedded stack while, at moments the seed chooses, the
agent runner, the sender, the dead-letter function and the dispatcher are SIGKILLed, and the
broker and Postgres restarted. Then it counts, from the database and what the sender sent.

    nox -s faults -- --messages 1000 --seed 7

Progress goes to stderr; the last line on stdout is one JSON object:
``{"seed", "accepted", "replied", "dead_lettered", "lost", "duplicated", "faults": {…}, …}``.
The exit status is 1 when anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any

import asyncpg

from events.envelope import derived_id
from shared.devstack.stack import Stack
from shared.devstack.temporary import temporary_stack
from tests.faults.load import Load

FAULTS = (
    "kill agent-runner",
    "kill send-web",
    "kill dead-letter",
    "kill dispatcher",
    "restart broker",
    "restart postgres",
    "outage agent-runner",  # down for longer than its retries: what was in flight is dead-lettered
)
# Shorter than the manifests' two minutes, so what a fault lost is redelivered within the run.
# The load is one address (unthrottled); and every message is the agent's to answer, follow-ups
# on tickets it handed over included, so "exactly one answer each" is what is checked.
SETTINGS = {
    "REDELIVER_AFTER_SECONDS": "20",
    "ESCALATED_FOLLOW_UPS": "agent",
}
MIN_GAP, MAX_GAP = 2.0, 8.0  # seconds between two faults: never piled up, never far apart


_T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {text}", file=sys.stderr, flush=True)


def plan_faults(rng: random.Random, messages: int) -> list[tuple[int, str]]:
    """(after how many answers, which fault): every kind at least once, more for longer loads.

    Moments are counted in answers delivered, not requests sent: the intake accepts far faster
    than the agent answers, and the faults must land while messages are on their way.
    """
    per_kind = max(1, messages // 250)
    low, high = max(1, messages // 20), max(2, messages * 17 // 20)
    return sorted((rng.randint(low, high), kind) for kind in FAULTS for _ in range(per_kind))


def inject(stack: Stack, fault: str) -> None:
    verb, target = fault.split(" ", 1)
    if verb in ("kill", "outage"):
        stack.kill(target)
    elif target == "broker":
        stack.restart_broker()
    else:
        stack.restart_postgres()


def run_faults(
    messages: int, seed: int, settle_timeout: float = 300.0, durable_broker: bool = False
) -> dict[str, Any]:
    """The broker keeps its log in memory by default, so a restart loses every record it held:
    what was accepted must come back from Postgres. ``durable_broker`` keeps it on S3 instead."""
    rng = random.Random(seed)
    plan = plan_faults(rng, messages)
    started = time.monotonic()
    with temporary_stack(
        durable_broker=durable_broker,
        ping_interval=1.0,
        env=SETTINGS,
        log=say,
        prefix="fte-faults-",
    ) as stack:
        # Paced so that the load lasts about as long as the faults take to happen.
        rate = messages / (len(plan) * (MIN_GAP + MAX_GAP) / 2)
        load = Load(messages, rng, stack.gateway_url, rate=rate)
        injected = _drive(stack, load, plan, settle_timeout)
        say(f"load done: {len(load.accepted)} accepted; settling…")
        counts = _settle_and_count(stack, load, settle_timeout)
    return {
        "seed": seed,
        "messages": messages,
        **counts,
        "refused": len(load.refused),
        "gave_up": load.gave_up,
        "faults": dict(injected),
        "broker": "s3" if durable_broker else "memory",
        "seconds": round(time.monotonic() - started, 1),
    }


class Answers:
    """How many answers were delivered so far, read on a connection of its own."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection | None = None
        self.last = 0

    def count(self) -> int:
        try:
            self.last = self.loop.run_until_complete(self._count())
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            self.conn = None  # Postgres is restarting: keep the last count
        return self.last

    async def _count(self) -> int:
        if self.conn is None or self.conn.is_closed():
            self.conn = await asyncpg.connect(self.database_url, timeout=2)
        return int(
            await self.conn.fetchval(
                """SELECT count(*) FROM messages
                   WHERE direction = 'outbound' AND delivery_status = 'delivered'""",
                timeout=2,
            )
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.terminate()  # no goodbye to send: Postgres may have just been restarted
        self.loop.close()


def _drive(stack: Stack, load: Load, plan: list[tuple[int, str]], timeout: float) -> Counter[str]:
    """Run the load in its own thread; faults and supervision stay on the stack's thread."""
    [source] = [s for s in stack.manifests.subscriptions if s.subscriber == "agent-runner"]
    outage = sum(source.delivery.backoff(k) for k in range(1, source.delivery.retry + 1)) + 3
    customers = threading.Thread(target=asyncio.run, args=(load.run(),), name="load")
    customers.start()
    answers = Answers(stack.database_url)
    injected: Counter[str] = Counter()
    held: dict[str, float] = {}  # a child in an outage → when it may come back
    deadline = time.monotonic() + timeout
    last_fault = time.monotonic()
    try:
        while (customers.is_alive() or plan or held) and time.monotonic() < deadline:
            answered = answers.count()
            since = time.monotonic() - last_fault
            if plan and since >= MIN_GAP and (plan[0][0] <= answered or since >= MAX_GAP):
                _, fault = plan.pop(0)
                began = last_fault = time.monotonic()
                inject(stack, fault)
                injected[fault] += 1
                if fault.startswith("outage "):
                    held[fault.split(" ", 1)[1]] = began + outage
                say(f"fault: {fault} after {answered} answers ({time.monotonic() - began:.1f}s)")
            now = time.monotonic()
            held = {name: until for name, until in held.items() if until > now}
            for name in stack.supervise(hold=held):
                say(f"  {name} restarted")
            customers.join(0.2)
    finally:
        answers.close()
    customers.join()
    return injected


def _settle_and_count(stack: Stack, load: Load, timeout: float) -> dict[str, int]:
    """Wait until every accepted message is answered and nothing awaits delivery, then count."""
    deadline = time.monotonic() + timeout
    ids = [uuid.UUID(r["message_id"]) for r in load.accepted]
    while True:
        for name in stack.supervise():
            say(f"  {name} restarted")
        try:
            counts, pending = asyncio.run(_count(stack.database_url, ids))
        except (OSError, asyncpg.PostgresError) as exc:
            say(f"  counting failed ({type(exc).__name__}), again")
            counts, pending = {}, 1
        if counts and counts["lost"] == 0 and pending == 0:
            return counts
        if time.monotonic() > deadline:
            return counts
        time.sleep(1.0)


async def _count(database_url: str, accepted: list[uuid.UUID]) -> tuple[dict[str, int], int]:
    conn = await asyncpg.connect(database_url)
    try:
        inbound = await conn.fetch(
            """SELECT m.id, m.event_id,
                      coalesce(array_agg(o.event_id) FILTER (WHERE o.event_id IS NOT NULL), '{}')
                        AS answers
               FROM messages m
               LEFT JOIN messages o ON o.in_reply_to = m.id AND o.direction = 'outbound'
               WHERE m.direction = 'inbound' GROUP BY m.id, m.event_id"""
        )
        sent = {
            r["event_id"]
            for r in await conn.fetch(
                "SELECT event_id FROM processed_events WHERE consumer = 'send-web' "
                "AND claimed_by = 'send-web'"
            )
        }
        dead = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM dead_letters")}
        pending = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE awaits IS NOT NULL AND settled_at IS NULL"
        )
    finally:
        await conn.close()
    wanted = set(accepted)
    tally: Counter[str] = Counter()
    for row in inbound:
        if row["id"] not in wanted:
            tally["unacknowledged"] += 1  # stored, though the client never got its 2xx
            continue
        tally[_outcome(row["event_id"], set(row["answers"]) & sent, dead)] += 1
    counts = {k: tally[k] for k in ("replied", "dead_lettered", "lost", "duplicated")}
    missing = len(wanted) - sum(counts.values())  # accepted, yet not in the database at all
    counts["lost"] += missing
    return {
        "accepted": len(wanted),
        **counts,
        "unacknowledged": tally["unacknowledged"],
        "apologies_without_dead_letter": tally["unexplained"],
    }, int(pending)


def _outcome(event_id: str, sent: set[str], dead: set[str]) -> str:
    reply, apology = derived_id(event_id, "reply"), derived_id(event_id, "apology")
    if not sent:
        return "lost"
    if len(sent) > 1:
        return "duplicated"
    if sent == {reply}:
        return "replied"
    if sent == {apology}:
        return "dead_lettered" if dead & {event_id, reply} else "unexplained"
    return "duplicated"  # an answer under an id nothing should have produced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="faults", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="requests to send (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="chooses the load and the faults")
    parser.add_argument(
        "--settle-timeout", type=float, default=300.0, help="seconds to wait for the last answers"
    )
    parser.add_argument(
        "--durable-broker",
        action="store_true",
        help="keep the broker's log on S3 (moto), so a restart keeps it; slow as the log grows",
    )
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    result = run_faults(args.messages, args.seed, args.settle_timeout, args.durable_broker)
    print(json.dumps(result, sort_keys=True))
    healthy = (
        result["lost"] == 0
        and result["duplicated"] == 0
        and result["accepted"] == result["replied"] + result["dead_lettered"]
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
