"""The evaluation run: a fresh database and broker; per ticket set, its knowledge base ingested
alone and every ticket through the real agent runner (the same ``handle_message`` the
agent-runner function calls). Figures per set, and per split (own, dev, held-out)."""

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
from shared.agent.rules import load_rules
from shared.agent.runner import get_model, handle_message
from shared.config import get_settings
from shared.db import close_pool, get_pool
from shared.db import knowledge_base as kb_db
from shared.db.migrations import migrate
from shared.devstack.broker import ensure_topics, start_tansu
from shared.devstack.manifests import load
from shared.devstack.postgres import start_postgres, stop_postgres
from shared.evaluation.scores import Result, mismatches, score
from shared.evaluation.suite import EvalSet
from shared.evaluation.tickets import EvalTicket, TicketFile, load_tickets
from shared.intake.accept import Contact, accept_new_ticket
from shared.kb.ingest import ingest_directory
from shared.publisher import close_producer

FIGURES = (
    "escalation_accuracy",
    "escalation_precision",
    "escalation_recall",
    "reason_agreement",
    "ticket_first_rate",
    "kb_hit_rate",
    "answer_hit_at_1",
    "search_hit_at_3",
)


async def _accept(ticket: EvalTicket, key: str) -> CloudEvent:
    """The ticket as an intake accepts it: stored, with its ``message.received`` event."""
    email = ticket.customer_email or (None if ticket.customer_phone else f"eval-{key}@example.com")
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


async def _ingest_alone(kb_dir: Path, database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        await kb_db.remove_all(conn)
        await ingest_directory(conn, kb_dir, progress=False)
    finally:
        await conn.close()


async def evaluate(
    sets: list[tuple[EvalSet, list[EvalTicket]]], database_url: str
) -> dict[str, list[Result]]:
    """Each set's results, keyed by its label; each set answered from its own docs only."""
    results: dict[str, list[Result]] = {}
    try:
        for number, (eval_set, tickets) in enumerate(sets, start=1):
            await _ingest_alone(eval_set.kb, database_url)
            done = results.setdefault(eval_set.label, [])
            for index, ticket in enumerate(tickets, start=1):
                outcome = await handle_message(await _accept(ticket, f"{number}-{index}"))
                done.append(
                    Result(
                        ticket,
                        outcome.escalation_reason is not None,
                        outcome.escalation_reason,
                        outcome.tools_called,
                        outcome.kb_hits,
                        outcome.top_passage,
                        outcome.latency_ms,
                        outcome.found,
                    )
                )
                print(
                    f"\r  {eval_set.label}: tickets {index}/{len(tickets)}",
                    end="",
                    file=sys.stderr,
                    flush=True,
                )
            print(file=sys.stderr)
    finally:
        await close_pool()
        await close_producer()
    return results


def _read(sets: list[EvalSet]) -> list[tuple[EvalSet, TicketFile]] | str:
    read = []
    for eval_set in sets:
        try:
            ticket_file = load_tickets(eval_set.tickets)
        except ValueError as exc:
            return str(exc)
        if not eval_set.kb.is_dir():
            return f"{eval_set.kb} is not a directory"
        for problem in ticket_file.problems:
            print(f"{eval_set.label}: skipped {problem}", file=sys.stderr)
        if not ticket_file.tickets:
            return f"{eval_set.tickets}: no valid tickets to evaluate"
        read.append((eval_set, ticket_file))
    return read


def run_eval(sets: list[EvalSet], as_json: bool) -> int:
    read = _read(sets)
    if isinstance(read, str):
        print(f"error: {read}", file=sys.stderr)
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
            results = asyncio.run(evaluate([(s, f.tickets) for s, f in read], server.get_uri()))
        finally:
            broker.stop()
            stop_postgres(server)
    canonical = load_rules().canonical_reason
    model = model_name(get_model())
    skipped = {s.label: len(f.problems) for s, f in read}
    per_set = {
        label: score(rs, canonical) | {"skipped": skipped[label]} for label, rs in results.items()
    }
    by_split: dict[str, list[Result]] = {}
    for eval_set, _ in read:
        by_split.setdefault(eval_set.split, []).extend(results[eval_set.label])
    per_split = {split: score(rs, canonical) for split, rs in by_split.items()}
    for label, rs in results.items():
        _print_report(label, per_set[label], model, mismatches(rs, canonical))
    if len(results) > 1:
        for split, figures in per_split.items():
            _print_report(f"all {split} sets", figures, model, [])
    if as_json:
        if len(results) == 1:
            print(json.dumps(next(iter(per_set.values())) | {"model": model}, sort_keys=True))
        else:
            document = {"model": model, "sets": per_set, "splits": per_split}
            print(json.dumps(document, sort_keys=True))
    return 0


def _print_report(title: str, figures: dict[str, Any], model: str, misses: list[str]) -> None:
    print(
        f"\n{title}: {figures['tickets']} tickets ({figures['labelled']} labelled), model {model}"
    )
    for key in FIGURES:
        value = figures[key]
        print(f"  {key.replace('_', ' '):<22} {'n/a' if value is None else f'{value:.3f}'}")
    print(
        f"  agent latency          p50 {figures['latency_ms_p50']} ms, "
        f"p95 {figures['latency_ms_p95']} ms"
    )
    if misses:
        print("  differences:")
        for line in misses:
            print(f"    {line}")
