"""``fte``: run the system on the embedded stack, and manage its database."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from pathlib import Path

DEFAULT_DATA_DIR = Path(".fte")


def _dev(args: argparse.Namespace) -> int:
    from shared.devstack.stack import Stack

    stack = Stack(
        data_dir=args.data_dir.resolve(), port=args.port, durable_broker=not args.memory_broker
    )
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    try:
        stack.start()
    except Exception as exc:
        print(f"error: the stack did not start: {exc}", file=sys.stderr)
        return 1
    url = stack.gateway_url
    print(
        f"\nDigital FTE is running on the embedded stack.\n"
        f"  Support form  {url}/\n"
        f"  Submit        POST {url}/api/v1/support/form\n"
        f"  Ticket status GET  {url}/api/v1/tickets/{{ticket_number}}?token=…\n"
        f"  Health        GET  {url}/api/v1/health\n"
        f"  Postgres      {stack.database_url}\n"
        f"  Kafka         {stack.bootstrap}\n"
        f"  Logs          {stack.log_dir}/\n"
        f"Press Ctrl-C to stop.",
        flush=True,
    )
    try:
        while not stopping.wait(0.5):
            dead = [c.name for c in stack.children if not c.alive()]
            if dead:
                print(f"error: {', '.join(dead)} exited; see {stack.log_dir}/", file=sys.stderr)
                return 1
    finally:
        print("stopping…", flush=True)
        stack.stop()
        print("stopped.", flush=True)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import asyncpg

    from shared.config import get_settings
    from shared.db.migrations import migrate

    async def run() -> list[str]:
        conn = await asyncpg.connect(args.database_url or get_settings().database_url)
        try:
            return await migrate(conn)
        finally:
            await conn.close()

    applied = asyncio.run(run())
    print(f"applied: {', '.join(applied)}" if applied else "up to date: nothing to apply")
    return 0


def _schemas(args: argparse.Namespace) -> int:
    from events.schemas import write_schemas
    from shared.intake.web_form import write_form_schemas

    for path in [*write_schemas(), *write_form_schemas()]:
        print(f"wrote {path}")
    return 0


def _kb_ingest(args: argparse.Namespace) -> int:
    from shared.config import get_settings
    from shared.kb.ingest import run_ingest_cli

    return run_ingest_cli(args.directory, args.database_url or get_settings().database_url)


def _eval(args: argparse.Namespace) -> int:
    from shared.evaluation.run import run_eval

    return run_eval(args.tickets, args.kb, args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fte", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="run every function on the embedded stack")
    dev.add_argument("--port", type=int, default=8080, help="gateway port (default 8080)")
    dev.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="where Postgres data and logs live (default .fte/)",
    )
    dev.add_argument(
        "--memory-broker",
        action="store_true",
        help="keep the broker's log in memory instead of on the local S3",
    )
    dev.set_defaults(run=_dev)

    db = commands.add_parser("db", help="database commands").add_subparsers(
        dest="db_command", required=True
    )
    mig = db.add_parser("migrate", help="apply pending migrations from sql/ (safe to run twice)")
    mig.add_argument("--database-url", help="default: DATABASE_URL")
    mig.set_defaults(run=_migrate)

    events = commands.add_parser("events", help="the event catalog").add_subparsers(
        dest="events_command", required=True
    )
    schemas = events.add_parser("schemas", help="regenerate the JSON Schemas of events and forms")
    schemas.set_defaults(run=_schemas)

    kb = commands.add_parser("kb", help="the knowledge base").add_subparsers(
        dest="kb_command", required=True
    )
    ingest = kb.add_parser(
        "ingest",
        help="split DIR's markdown by headings, embed, upsert by content hash (idempotent)",
    )
    ingest.add_argument("directory", type=Path, metavar="DIR")
    ingest.add_argument("--database-url", help="default: DATABASE_URL")
    ingest.set_defaults(run=_kb_ingest)

    ev = commands.add_parser(
        "eval",
        help="run labelled tickets through the agent runner on a fresh database and score it",
    )
    ev.add_argument("--tickets", type=Path, required=True, help="JSON array of labelled tickets")
    ev.add_argument("--kb", type=Path, required=True, help="directory of markdown docs to ingest")
    ev.add_argument(
        "--json", action="store_true", help="end with one line of JSON with the figures"
    )
    ev.set_defaults(run=_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
