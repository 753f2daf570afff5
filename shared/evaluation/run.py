"""The evaluation run: a fresh database and broker, the knowledge base ingested, every ticket
through the real agent runner (the same ``handle_message`` the agent-runner function calls)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from cloudevents.http import CloudEvent

from shared.agent.models import model_name
from shared.agent.runner import get_model, handle_message
from shared.config import get_settings
from shared.db import close_pool, get_pool
from shared.db.migrations import migrate
from shared.devstack.broker import ensure_topics, start_tansu
from shared.devstack.manifests import load
from shared.devstack.postgres import start_postgres, stop_postgres
from shared.evaluation.scores import Result, mismatches, score
from shared.evaluation.tickets import EvalTicket, load_tickets
from shared.intake.accept import Contact, accept_new_ticket
from shared.kb.ingest import ingest_directory
from shared.publisher import close_producer


async def _accept(ticket: EvalTicket, index: int) -> CloudEvent:
    """The ticket as an intake accepts it: stored, with its ``message.received`` event."""
    email = ticket.customer_email or (
        None if ticket.customer_phone else f"eval-{index}@example.com"
    )
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        accepted = await accept_new_ticket(
            conn,
            source="/digital-fte/eval",
            channel=ticket.channel,
            contact=Contact(name=ticket.customer_name, email=email, phone=ticket.customer_phone),
            content=ticket.content,
            subject=ticket.subject,
            category=ticket.category,
        )
    return accepted.outgoing.event


async def evaluate(tickets: list[EvalTicket], kb_dir: Path, database_url: str) -> list[Result]:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        await ingest_directory(conn, kb_dir, progress=True)
    finally:
        await conn.close()
    results = []
    try:
        for index, ticket in enumerate(tickets, start=1):
            outcome = await handle_message(await _accept(ticket, index))
            results.append(
                Result(
                    ticket,
                    outcome.escalation_reason is not None,
                    outcome.escalation_reason,
                    outcome.tools_called,
                    outcome.kb_hits,
                    outcome.top_passage,
                    outcome.latency_ms,
                )
            )
            print(f"\r  tickets {index}/{len(tickets)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    finally:
        await close_pool()
        await close_producer()
    return results


def run_eval(tickets_path: Path, kb_dir: Path, as_json: bool) -> int:
    try:
        ticket_file = load_tickets(tickets_path)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not kb_dir.is_dir():
        print(f"error: {kb_dir} is not a directory", file=sys.stderr)
        return 2
    for problem in ticket_file.problems:
        print(f"skipped {problem}", file=sys.stderr)
    if not ticket_file.tickets:
        print("error: no valid tickets to evaluate", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fte-eval-") as tmp:
        work = Path(tmp)
        print("starting a fresh database and broker…", file=sys.stderr)
        server = start_postgres(work / "pgdata")
        broker, bootstrap = start_tansu(work / "logs", work, s3_endpoint=None)
        try:
            ensure_topics(bootstrap, load().topics)
            os.environ["DATABASE_URL"] = server.get_uri()
            os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
            get_settings.cache_clear()
            results = asyncio.run(evaluate(ticket_file.tickets, kb_dir, server.get_uri()))
        finally:
            broker.stop()
            stop_postgres(server)
    figures = score(results) | {
        "skipped": len(ticket_file.problems),
        "model": model_name(get_model()),
    }
    _print_report(figures, mismatches(results))
    if as_json:
        print(json.dumps(figures, sort_keys=True))
    return 0


def _print_report(figures: dict[str, Any], misses: list[str]) -> None:
    print(
        f"\nEvaluation on {figures['tickets']} tickets ({figures['labelled']} labelled, "
        f"{figures['skipped']} skipped), model {figures['model']}"
    )
    for key in (
        "escalation_accuracy",
        "escalation_precision",
        "escalation_recall",
        "reason_agreement",
        "ticket_first_rate",
        "kb_hit_rate",
        "section_accuracy",
    ):
        value = figures[key]
        print(f"  {key.replace('_', ' '):<22} {'n/a' if value is None else f'{value:.3f}'}")
    print(
        f"  agent latency          p50 {figures['latency_ms_p50']} ms, p95 {figures['latency_ms_p95']} ms"
    )
    if misses:
        print("  differences:")
        for line in misses:
            print(f"    {line}")
