"""How fast the system is, each figure beside a baseline measured in the same run.

    python -m benchmarks [--quick] [--json] [--out DIR]

Phases, all on this machine (every request goes to 127.0.0.1, open loop from k6):
1. webhooks: each intake's answer at 50, 100 and 200 requests/s beside the bare
   functions-framework function at the same rates, on a stack of the intakes alone;
2. replies: post → reply delivered at 10, 20 and 50 messages/s, then the highest rate
   sustained for 60 s (nothing lost, the backlog within 5 s of arrivals), on the whole stack;
3. cold start and resident memory of every function of that stack;
4. knowledge-base search at 10,000 and 100,000 passages, recall@10 against exact search.

A table goes to the terminal, the whole record to ``DIR/bench.json`` and a chart to
``DIR/bench.png`` (DIR: ``bench-results``). ``--json`` ends stdout with one JSON line of the
headline figures. ``--quick`` runs every phase for a second or two on one stack (for CI: it
shows the bench still runs, its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks import cold, replies, report, search, webhooks
from benchmarks.intake_latency import UNLIMITED_AGENT
from shared.devstack.stack import Stack
from shared.devstack.temporary import temporary_stack

# The intakes' stack has no agent runner, so nothing ever claims what they accept: the relay
# would re-publish all of it every two minutes, under the very answers being timed.
NOTHING_CONSUMES = UNLIMITED_AGENT | {"REDELIVER_AFTER_SECONDS": "3600"}


@dataclass(frozen=True)
class Plan:
    mode: str
    webhook_rates: tuple[int, ...]
    webhook_seconds: float
    reply_rates: tuple[int, ...]
    reply_seconds: float
    sustain_first: int
    sustain_steps: int
    sustain_seconds: float
    drain_timeout: float
    search_sizes: tuple[int, ...]
    search_queries: int
    cold_functions: tuple[str, ...] | None  # None: every function
    webhook_rate: int  # the rate of the headline webhook figures
    reply_rate: int  # the rate of the headline reply figure

    def steps(self, functions: int) -> int:
        webhook = len(self.webhook_rates) * 4 + 1 + 1
        return webhook + len(self.reply_rates) + self.sustain_steps + functions + 2 + 3


FULL = Plan(
    mode="full",
    webhook_rates=(50, 100, 200),
    webhook_seconds=10,
    reply_rates=(10, 20, 50),
    reply_seconds=10,
    sustain_first=50,
    sustain_steps=3,
    sustain_seconds=60,
    drain_timeout=90,
    search_sizes=(10_000, 100_000),
    search_queries=100,
    cold_functions=None,
    webhook_rate=100,
    reply_rate=20,
)
QUICK = Plan(
    mode="quick",
    webhook_rates=(20,),
    webhook_seconds=1,
    reply_rates=(5,),
    reply_seconds=1,
    sustain_first=5,
    sustain_steps=1,
    sustain_seconds=2,
    drain_timeout=30,
    search_sizes=(1_000,),
    search_queries=10,
    cold_functions=("intake-web-form",),
    webhook_rate=20,
    reply_rate=5,
)


def run(plan: Plan, out: Path, progress: Progress) -> dict[str, Any]:
    functions = len(plan.cold_functions or range(13))
    task = progress.add_task("starting", total=plan.steps(functions))

    def step(text: str) -> None:
        progress.update(task, description=text, advance=1)

    def log(text: str) -> None:
        progress.console.print(text, style="dim", highlight=False)

    started = time.monotonic()
    figures: dict[str, Any] = {"mode": plan.mode}
    if plan.mode == "full":
        step("webhooks: starting the intakes' stack")
        with temporary_stack(
            functions=webhooks.INTAKE_STACK, env=NOTHING_CONSUMES, log=log
        ) as stack:
            figures["webhooks"] = _webhooks(stack, plan, step)
    step("replies: starting the whole stack")
    with temporary_stack(env=UNLIMITED_AGENT, log=log) as stack:
        if plan.mode != "full":
            figures["webhooks"] = _webhooks(stack, plan, step)
        figures |= _replies(stack, plan, step)
        measured, first_reply = cold.measure(stack, step, plan.cold_functions)
        figures["cold"] = [asdict(m) for m in measured]
        figures["agent_first_reply_ms"] = first_reply
        with webhooks.bare_function(stack.log_dir) as (url, child):
            figures["bare_cold_start_ms"] = cold.first_answer_ms(child, url, 60)
    figures["search"] = [
        asdict(s) for s in search.measure(plan.search_sizes, plan.search_queries, step)
    ]
    progress.update(task, description="done", completed=plan.steps(functions))
    figures |= {
        "webhook_rate": plan.webhook_rate,
        "reply_rate": plan.reply_rate,
        "seconds": round(time.monotonic() - started, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "json_path": str(out / "bench.json"),
        "png_path": str(out / "bench.png"),
    }
    return figures


def _webhooks(stack: Stack, plan: Plan, step: webhooks.Step) -> dict[str, Any]:
    with webhooks.bare_function(stack.log_dir) as (bare_url, _):
        found = webhooks.measure(stack, bare_url, plan.webhook_rates, plan.webhook_seconds, step)
    return {name: [asdict(r) for r in runs] for name, runs in found.items()}


def _replies(stack: Stack, plan: Plan, step: replies.Step) -> dict[str, Any]:
    replies.at_rate(stack, 2, 2, plan.drain_timeout, "warm")  # pools, model, consumer groups
    at_rates = []
    for rate in plan.reply_rates:
        step(f"replies at {rate} msgs/s")
        at_rates.append(
            replies.at_rate(stack, rate, plan.reply_seconds, plan.drain_timeout, f"r{rate}")
        )
    best, runs = replies.highest_sustained(
        stack,
        plan.sustain_first,
        plan.sustain_steps,
        plan.sustain_seconds,
        plan.drain_timeout,
        step,
    )
    return {
        "replies": [asdict(r) for r in at_rates],
        "sustained_runs": [asdict(r) for r in runs],
        "sustained_msgs_per_s": best,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a second or two per phase (CI)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    errors = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=errors, transient=False) as progress:
        figures = run(QUICK if args.quick else FULL, args.out, progress)
    report.write_json(figures, args.out / "bench.json")
    report.write_chart(figures, args.out / "bench.png")
    report.print_tables(figures, Console(file=sys.stdout, width=120))
    print(f"record: {args.out / 'bench.json'}  chart: {args.out / 'bench.png'}")
    if args.json:
        print(json.dumps(report.headline(figures)))


if __name__ == "__main__":
    main()
