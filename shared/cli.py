"""``fte``: run the system on the embedded stack, and manage its database."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.devstack.stack import Stack

DEFAULT_DATA_DIR = Path(".fte")


class _StopSignals:
    """SIGINT/SIGTERM for ``fte dev``: the first asks for an orderly stop, later ones are ignored.

    While the stack starts, the first one also interrupts the start (as KeyboardInterrupt), so
    Ctrl-C is not kept waiting for a minute of start-up; the start then stops what it started.
    """

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.starting = True

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._received)

    def _received(self, signum: int, frame: object) -> None:
        if self.request() and self.starting:
            raise KeyboardInterrupt

    def request(self) -> bool:
        """Say "stopping…" once; True the first time only."""
        if self.requested.is_set():
            return False
        self.requested.set()
        os.write(sys.stdout.fileno(), "stopping…\n".encode())  # safe inside a signal handler
        return True


def _banner(stack: Stack) -> str:
    url = stack.gateway_url
    lines = [
        "",
        "Digital FTE is running on the embedded stack.",
        f"  Support form  {url}/",
        f"  Submit        POST {url}/api/v1/support/form",
        f"  Ticket status GET  {url}/api/v1/tickets/{{ticket_number}}?token=…",
        f"  Health        GET  {url}/api/v1/health",
        f"  Channels      GET  {url}/api/v1/metrics/channels?since=24h",
        f"  Metrics       the dispatcher's GET {stack.dispatcher_metrics_url}; each function's"
        f" GET /metrics on its own port ({stack.state_path}: functions)",
        f"  Staff inbox   {url}/staff/  (an account: fte staff add EMAIL --name NAME"
        f"{'' if stack.data_dir == DEFAULT_DATA_DIR.resolve() else f' --data-dir {stack.data_dir}'})",
        f"  WhatsApp      POST {url}/api/v1/webhooks/whatsapp (Twilio stand-in; try it: "
        'fte try whatsapp --from +14155550100 --body "How do I reset my password?")',
        f"  Postgres      {stack.database_url}",
        f"  Kafka         {stack.bootstrap}",
        f"  Logs          {stack.log_dir}/",
    ]
    if stack.env:
        lines.append(f"  Overrides     {' '.join(f'{k}={v}' for k, v in stack.env.items())}")
    if stack.ping_interval is not None:
        lines.append(f"  Pings every   {stack.ping_interval:g}s")
    return "\n".join([*lines, "Press Ctrl-C to stop."])


def _supervise(stack: Stack, stopping: threading.Event) -> int:
    """Until a stop is asked for, restart what dies; 1 when the stack cannot go on."""
    from shared.devstack.stack import StackFailure

    while not stopping.is_set():
        stack.wait_for_requests(0.5)  # sooner when a request waits on a Service at zero
        if stopping.is_set():
            break
        try:
            for name in stack.supervise():
                code = stack.child(name).last_exit
                print(f"{name} exited (code {code}): restarted", flush=True)
        except StackFailure as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)
            return 1
    return 0


def _dev(args: argparse.Namespace) -> int:
    from shared.devstack.stack import Stack

    signals = _StopSignals()
    signals.install()
    stack = Stack(
        data_dir=args.data_dir.resolve(),
        port=args.port,
        durable_broker=not args.memory_broker,
        env=dict(args.set),
        ping_interval=args.ping_every,
        keep_warm=args.keep_warm,
    )
    try:
        stack.start()  # stops what it started when it fails or is interrupted
    except KeyboardInterrupt:
        print("stopped.", flush=True)
        return 0
    except Exception as exc:
        print(f"error: the stack did not start: {exc}", file=sys.stderr)
        return 1
    signals.starting = False
    print(_banner(stack), flush=True)
    try:
        return _supervise(stack, signals.requested)
    finally:
        signals.request()
        stack.stop()
        print("stopped.", flush=True)


def _setting(text: str) -> tuple[str, str]:
    """``--set KEY=VALUE``: KEY an environment variable's name, VALUE anything (even empty)."""
    key, equals, value = text.partition("=")
    if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE with KEY a variable name (e.g. MODEL_TIMEOUT_SECONDS=5), "
            f"got {text!r}"
        )
    return key, value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


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


def _dlq(args: argparse.Namespace) -> int:
    """``fte dlq list`` and ``fte dlq replay ID…``, on DATABASE_URL (and the broker, to replay)."""
    import os

    from shared import dlq
    from shared.db import close_pool
    from shared.publisher import close_producer

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    missing = [v for v in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS") if not os.environ.get(v)]
    if missing:
        print(f"error: set {' and '.join(missing)}", file=sys.stderr)
        return 2

    async def run() -> int:
        try:
            if args.dlq_command == "list":
                print(dlq.render(await dlq.recent(args.limit)))
                return 0
            failed = 0
            for dead_letter_id in args.ids:
                try:
                    dead, published = await dlq.replay(dead_letter_id)
                except dlq.CannotReplay as exc:
                    print(f"error: {exc}", file=sys.stderr)
                    failed += 1
                    continue
                how = "published" if published else "queued in the outbox (broker unreachable)"
                print(f"replayed {dead_letter_id}: event {dead.event_id} {how}")
            return 1 if failed else 0
        finally:
            await close_pool()
            await close_producer()

    return asyncio.run(run())


def _try_email(args: argparse.Namespace) -> int:
    from shared.devstack import trying

    try:
        dropped = trying.send_email(
            args.data_dir,
            sender=args.sender,
            body=args.body,
            subject=args.subject,
            thread=args.thread,
            name=args.name,
        )
    except (trying.NotRunning, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Delivered to the support inbox: message {dropped['id']}, thread {dropped['thread_id']}")
    print(f"Continue this thread with: --thread {dropped['thread_id']}")
    if args.wait <= 0:
        return 0
    print(f"Waiting up to {args.wait:g}s for the answer…", flush=True)
    reply = trying.wait_for_reply(args.data_dir, dropped["message_id"], args.wait)
    if reply is None:
        print("No answer yet; see `fte try outbox --channel email` later.", file=sys.stderr)
        return 1
    print(trying.describe(reply))
    return 0


def _outbox_email(args: argparse.Namespace) -> int:
    from shared.devstack import trying

    try:
        sent = trying.sent_mail(args.data_dir)
    except trying.NotRunning as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for mail in sent:
        print(trying.outbox_line(mail) if args.json else trying.describe(mail) + "\n")
    if not sent and not args.json:
        print("Nothing sent yet.")
    return 0


def _gmail_watch(args: argparse.Namespace) -> int:
    """``fte gmail watch``: what gmail-watch's daily ping does, now (after a first deploy)."""
    from pydantic import ValidationError

    from shared.channels.gmail_api import GmailRefused, GmailUnavailable, NotConfigured, gmail
    from shared.channels.gmail_watch import renew_watch
    from shared.config import get_settings
    from shared.db import close_pool

    async def run() -> str:
        try:
            return (await renew_watch(gmail(), get_settings())).isoformat()
        finally:
            await close_pool()

    try:
        expires = asyncio.run(run())
    except ValidationError as exc:
        missing = ", ".join(str(e["loc"][0]).upper() for e in exc.errors())
        print(f"error: set {missing} in the environment", file=sys.stderr)
        return 1
    except (NotConfigured, GmailRefused, GmailUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Gmail pushes the inbox's changes until {expires}; gmail-watch renews it daily.")
    return 0


def _staff_add(args: argparse.Namespace) -> int:
    """``fte staff add EMAIL``: the password from a prompt, or stdin with --password-stdin."""
    import getpass

    import asyncpg

    from shared.db import close_pool
    from shared.staff.sessions import add_account

    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password (12 characters or more): ")
        if getpass.getpass("Again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    database_url = args.database_url or os.environ.get("DATABASE_URL")
    if not database_url:  # the running dev stack's, as `fte try` finds it
        from shared.devstack import trying

        try:
            database_url = str(trying.stack_state(args.data_dir)["database_url"])
        except (trying.NotRunning, KeyError) as exc:
            print(f"error: give --database-url or set DATABASE_URL ({exc})", file=sys.stderr)
            return 1
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("KAFKA_BOOTSTRAP_SERVERS", "unused:9092")  # not needed here

    async def run() -> str:
        try:
            member = await add_account(args.email, args.name or "", args.role, password)
            return f"{member.name} <{member.email}> ({member.role})"
        finally:
            await close_pool()

    try:
        added = asyncio.run(run())
    except asyncpg.UniqueViolationError:
        print(f"error: {args.email} has an account already", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Added {added}; sign in at /staff/.")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from shared.evaluation.run import run_eval
    from shared.evaluation.suite import given_set, load_suite

    if (args.tickets is None) != (args.kb is None):
        print("fte eval: give --tickets and --kb together, or neither", file=sys.stderr)
        return 2
    if args.tickets is not None:
        return run_eval([given_set(args.tickets, args.kb)], args.json)
    try:
        sets = load_suite(args.suite) if args.suite else load_suite()
    except ValueError as exc:
        print(f"fte eval: {exc}", file=sys.stderr)
        return 2
    return run_eval(sets, args.json)


def _try_whatsapp(args: argparse.Namespace) -> int:
    from shared.devstack.try_whatsapp import try_whatsapp

    return try_whatsapp(args.data_dir, args.sender, args.body, args.name, args.wait)


def _try_outbox(args: argparse.Namespace) -> int:
    """What the stack's channels sent, one channel at a time."""
    if args.channel == "whatsapp":
        return _outbox_whatsapp(args)
    if args.channel == "email":
        return _outbox_email(args)
    print(f"error: no outbox for channel {args.channel}", file=sys.stderr)
    return 2


def _outbox_whatsapp(args: argparse.Namespace) -> int:
    from shared.devstack.try_whatsapp import try_outbox

    return try_outbox(args.data_dir, args.json)


def _ops_status(args: argparse.Namespace) -> int:
    from shared.ops_status.view import Status, render

    async def run() -> Status:
        if args.cluster:
            from shared.ops_status.cluster import cluster_status, fetch

            objects = fetch(args.namespace, args.kubeconfig, args.context)
            return await cluster_status(objects, args.namespace, args.bootstrap)
        from shared.ops_status.local import local_status

        return await local_status(args.data_dir)

    if args.cluster and not args.bootstrap:
        print("error: --cluster needs --bootstrap, the Kafka cluster's address", file=sys.stderr)
        return 2
    try:
        status = asyncio.run(run())
    except Exception as exc:  # the stack or the cluster did not answer: say which, briefly
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(status.as_dict()) if args.json else render(status))
    return 0


def _add_ops(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``fte ops status``: functions and event routes, of the local stack or of a cluster."""
    ops = commands.add_parser("ops", help="what runs and how events flow").add_subparsers(
        dest="ops_command", required=True
    )
    status = ops.add_parser(
        "status",
        help="each function's revision, readiness and scale; each route's lag, deliveries, "
        "retries and dead letters",
    )
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="the running stack's data directory (default .fte/)",
    )
    status.add_argument(
        "--cluster", action="store_true", help="a cluster's, through the Kubernetes API"
    )
    status.add_argument("--namespace", default="fte", help="with --cluster (default fte)")
    status.add_argument("--kubeconfig", help="with --cluster (default: KUBECONFIG or ~/.kube)")
    status.add_argument("--context", help="with --cluster: the kubeconfig context")
    status.add_argument(
        "--bootstrap",
        help="with --cluster: the Kafka bootstrap address, e.g. a port-forward of "
        "fte-kafka-kafka-bootstrap:9092",
    )
    status.set_defaults(run=_ops_status)


def _add_try(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``fte try …``: the channels as a customer uses them, against the running ``fte dev``."""
    tries = commands.add_parser(
        "try", help="play a customer against the running stack"
    ).add_subparsers(dest="try_command", required=True)
    whatsapp = tries.add_parser(
        "whatsapp", help="send a WhatsApp message, signed as Twilio signs it, and show the answer"
    )
    whatsapp.add_argument("--from", dest="sender", required=True, help="the customer's number")
    whatsapp.add_argument("--body", required=True, help="what the customer writes")
    whatsapp.add_argument("--name", default="Ada", help="the customer's WhatsApp profile name")
    whatsapp.add_argument(
        "--wait", type=_seconds, default=30.0, help="seconds to wait for the answer (30)"
    )
    whatsapp.set_defaults(run=_try_whatsapp)
    email = tries.add_parser("email", help="send a mail to the support inbox; print the answer")
    email.add_argument("--from", dest="sender", required=True, help="the customer's address")
    email.add_argument("--body", required=True, help="what the customer writes")
    email.add_argument("--subject", default="", help="default: Re: the thread's subject")
    email.add_argument("--thread", help="a thread id printed earlier: answer in that thread")
    email.add_argument("--name", help="the customer's display name")
    email.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the answer (0: do not)"
    )
    email.set_defaults(run=_try_email)
    outbox = tries.add_parser("outbox", help="what the stack sent to customers")
    outbox.add_argument("--channel", choices=["email", "whatsapp"], required=True)
    outbox.add_argument("--json", action="store_true", help="one JSON object per message")
    outbox.set_defaults(run=_try_outbox)
    for command in (whatsapp, email, outbox):
        command.add_argument(
            "--data-dir",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help="the running stack's data directory (default .fte/)",
        )


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
    dev.add_argument(
        "--set",
        type=_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a configuration value for every function, over the fte-config ConfigMap (repeatable)",
    )
    dev.add_argument(
        "--ping-every",
        type=_seconds,
        metavar="SECONDS",
        help="PingSources fire every SECONDS (FTE_PING_INTERVAL of the dispatcher)",
    )
    dev.add_argument(
        "--keep-warm",
        action="store_true",
        help="never scale a function to zero (by default a Service with min-scale 0 stops after "
        "its idle period and starts again on its next request or event, as on Knative)",
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

    dlq = commands.add_parser("dlq", help="dead letters").add_subparsers(
        dest="dlq_command", required=True
    )
    dlq_list = dlq.add_parser("list", help="the latest dead letters, newest first")
    dlq_list.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    replay = dlq.add_parser(
        "replay", help="re-publish dead letters with their original ids, once the cause is fixed"
    )
    replay.add_argument("ids", type=int, nargs="+", metavar="ID")
    for command in (dlq_list, replay):
        command.add_argument("--database-url", help="default: DATABASE_URL")
        command.set_defaults(run=_dlq)

    ev = commands.add_parser(
        "eval",
        help="run labelled tickets through the agent runner on a fresh database and score it; "
        "by default the suite of shared/context/eval/suite.yaml (own, dev and held-out sets)",
    )
    ev.add_argument("--tickets", type=Path, help="one JSON array of labelled tickets instead")
    ev.add_argument("--kb", type=Path, help="the directory of markdown docs for --tickets")
    ev.add_argument("--suite", type=Path, help="another suite file (YAML) than the default")
    ev.add_argument(
        "--json", action="store_true", help="end with one line of JSON with the figures"
    )
    ev.set_defaults(run=_eval)

    gmail = commands.add_parser("gmail", help="the email channel's mailbox").add_subparsers(
        dest="gmail_command", required=True
    )
    watch = gmail.add_parser(
        "watch", help="start (or renew) Gmail's push watch now, from the environment's settings"
    )
    watch.set_defaults(run=_gmail_watch)

    staff_commands = commands.add_parser("staff", help="the support team").add_subparsers(
        dest="staff_command", required=True
    )
    add = staff_commands.add_parser("add", help="create a staff account (no default password)")
    add.add_argument("email")
    add.add_argument("--name", help="as colleagues see it (default: the address)")
    add.add_argument("--role", choices=["agent", "admin"], default="agent")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--database-url", help="default: DATABASE_URL, else the running dev stack's")
    add.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="the running dev stack's data folder (default .fte/)",
    )
    add.set_defaults(run=_staff_add)
    _add_try(commands)
    _add_ops(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
