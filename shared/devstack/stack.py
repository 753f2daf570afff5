"""The whole system on one machine: Postgres, broker, every function, dispatcher and gateway.

A :class:`Stack` is driven from one thread, the one that started it (see ``processes``): start,
supervise (restart what died, as Knative replaces a crashed pod), inject faults, stop.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from shared.channels.gmail_push import WEBHOOK_PATH
from shared.db.migrations import migrate
from shared.devstack.activation import activated, listening_socket, waiting
from shared.devstack.activity import ENV as ACTIVITY_ENV
from shared.devstack.activity import SOURCE_ENV as ACTIVITY_SOURCE_ENV
from shared.devstack.activity import last_request
from shared.devstack.broker import ensure_topics, restart_tansu, start_s3, start_tansu
from shared.devstack.manifests import Manifests, PingSource, Service, load
from shared.devstack.ping import Pinger
from shared.devstack.ports import free_port, wait_for_port
from shared.devstack.postgres import (
    PostgresServer,
    start_postgres,
    stop_postgres,
    wait_for_postgres,
)
from shared.devstack.processes import Child, spawn, stop_together
from shared.devstack.scaling import READY_TIMEOUT, Scale, log_cold_start, probe
from shared.devstack.standins.launch import start_twilio

REPO = Path(__file__).resolve().parents[2]
DATABASE = "fte"
KNOWLEDGE_BASE = REPO / "shared" / "context"
CRASH_WINDOW = 10.0  # seconds: a child that exits sooner after its start has crashed at start…
CRASH_LIMIT = 3  # …and this many such exits in a row are a crash loop
REBIND_SECONDS = 10.0  # a killed function's port is free again once its whole group has gone
STATE_FILE = "stack.json"
SUPPORT_ADDRESS = "support@northwind.example"
PUSH_SERVICE_ACCOUNT = "gmail-push@local-project.iam.gserviceaccount.com"


class StackFailure(RuntimeError):
    """The stack cannot go on: its S3 died (the broker's log with it) or a child crash-loops."""


def mount_config_maps(service: Service, manifests: Manifests, root: Path) -> dict[str, Path]:
    """Write each ConfigMap a Service mounts as files under ``root``; mountPath → local folder."""
    local: dict[str, Path] = {}
    for mount_path, config_map in service.config_mounts.items():
        folder = root / service.name / mount_path.strip("/").replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for key, text in manifests.config_maps[config_map].items():
            (folder / key).write_text(text)
        local[mount_path] = folder
    return local


def service_env(
    service: Service,
    manifests: Manifests,
    provided: dict[str, str],
    mounts: dict[str, Path] | None = None,
) -> dict[str, str]:
    """The env a Knative Service's container gets, with what the stack provides standing in for Secrets.

    ConfigMap values are taken as written; ``provided`` (the local database, broker…) wins over them,
    as a cluster's own ConfigMap would hold the cluster's addresses. A value under a mounted
    ConfigMap's mountPath points into the local copy of that ConfigMap.
    """
    env: dict[str, str] = {}
    for source in service.container.env_from:
        ref = source.get("configMapRef", {}).get("name")
        if ref:
            env |= manifests.config_maps.get(ref, {})
    for var in service.container.env:
        name, value_from = var["name"], var.get("valueFrom", {})
        if "value" in var:
            env[name] = str(var["value"])
        elif "configMapKeyRef" in value_from:
            ref = value_from["configMapKeyRef"]
            env[name] = manifests.config_maps[ref["name"]][ref["key"]]
        elif "secretKeyRef" in value_from and os.environ.get(name):
            env[name] = os.environ[name]  # secrets come from the developer's environment
    for mount_path, folder in (mounts or {}).items():
        for name, value in env.items():
            if value.startswith(mount_path.rstrip("/") + "/"):
                env[name] = str(folder) + value[len(mount_path.rstrip("/")) :]
    return env | provided


SERVING = ["python", "-m", "shared.serving"]  # functions-framework, metered (shared/serving.py)


def function_argv(service: Service) -> list[str]:
    command = service.container.command
    if command != SERVING:
        raise ValueError(
            f"{service.name}: the dev stack runs `{' '.join(SERVING)}` containers only"
        )
    return [sys.executable, *command[1:], *service.container.args]


async def _prepare_database(admin_uri: str, app_uri: str) -> list[str]:
    conn = await asyncpg.connect(admin_uri)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await conn.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(app_uri)
    try:
        return await migrate(conn)
    finally:
        await conn.close()


async def _ping_once(ping: PingSource, url: str) -> None:
    async with httpx.AsyncClient() as client:
        if not await Pinger(ping, url, client, None).fire():
            raise RuntimeError(f"{ping.sink} did not take its first ping; see its log")


@dataclass
class Stack:
    data_dir: Path
    port: int = 8080
    durable_broker: bool = True
    functions: list[str] | None = None  # None: every Service in knative/
    google: bool = True  # the Gmail, OAuth and Pub/Sub push stand-in, for the email channel
    knowledge_base: Path | None = KNOWLEDGE_BASE  # ingested at start (only what changed)
    env: dict[str, str] = field(default_factory=dict)  # for every function; wins over ConfigMaps
    ping_interval: float | None = None  # seconds; the dispatcher's PingSources fire this often
    keep_warm: bool = False  # never scale a Service to zero, as if each had min-scale 1
    idle_period: float | None = None  # seconds; overrides the manifests' idle period (tests)
    log: Any = print

    postgres: PostgresServer | None = None
    database_url: str = ""
    bootstrap: str = ""
    urls: dict[str, str] = field(default_factory=dict)
    dispatcher_metrics_url: str = (
        ""  # the dispatcher's Prometheus metrics (lag, deliveries, retries)
    )
    google_url: str = ""
    google_env: dict[str, str] = field(default_factory=dict)  # what the functions get of it
    children: list[Child] = field(default_factory=list)
    manifests: Manifests = field(default_factory=load)
    quick_exits: dict[str, int] = field(default_factory=dict)
    standin_env: dict[str, str] = field(default_factory=dict)  # what the functions get of them
    scales: dict[str, Scale] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def activity_dir(self) -> Path:
        return self.data_dir / "activity"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        started = time.monotonic()
        try:
            self._start_postgres()
            self._start_broker()
            self._start_google()
            self._start_standins()
            self._start_functions()
            self._start_dispatcher()
            self._start_gateway()
            self._watch_mailbox()
        except BaseException:
            self.stop()
            raise
        self._write_state()
        self.log(f"stack ready in {time.monotonic() - started:.1f}s")

    def _start_postgres(self) -> None:
        self.log("starting PostgreSQL (embedded, pgvector)…")
        self.postgres = start_postgres(self.data_dir / "pgdata")
        self.database_url = self.postgres.get_uri(DATABASE)
        applied = asyncio.run(_prepare_database(self.postgres.get_uri(), self.database_url))
        self.log(f"  migrations applied: {', '.join(applied) or 'none pending'}")
        if self.knowledge_base is not None:
            self._ingest_knowledge_base(self.knowledge_base)

    def _ingest_knowledge_base(self, directory: Path) -> None:
        """As a user would: ``fte kb ingest DIR`` (a child process, so torch stays out of here)."""
        self.log(f"ingesting the knowledge base from {directory}…")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "kb",
                "ingest",
                str(directory),
                "--database-url",
                self.database_url,
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"knowledge base ingest failed:\n{result.stderr[-2000:]}")
        self.log(f"  {result.stdout.strip()}")

    def _start_broker(self) -> None:
        s3_endpoint = None
        if self.durable_broker:
            self.log("starting S3 (moto) for the broker's log…")
            s3, s3_endpoint = start_s3(self.log_dir, REPO)
            self.children.append(s3)
        self.log("starting the Kafka-compatible broker (tansu)…")
        broker, self.bootstrap = start_tansu(self.log_dir, REPO, s3_endpoint=s3_endpoint)
        self.children.append(broker)
        ensure_topics(self.bootstrap, self.manifests.topics)

    def _start_google(self) -> None:
        """Gmail, Google's token endpoint and certificates, and Pub/Sub push, on one port."""
        if not self.google:
            return
        port = free_port()
        self.google_url = f"http://127.0.0.1:{port}"
        webhook = self.gateway_url + WEBHOOK_PATH
        shared = {
            "GMAIL_ADDRESS": SUPPORT_ADDRESS,
            "GMAIL_CLIENT_ID": "dev-client.apps.googleusercontent.com",
            "GMAIL_CLIENT_SECRET": secrets.token_urlsafe(16),
            "GMAIL_REFRESH_TOKEN": "1//" + secrets.token_urlsafe(24),
            "GMAIL_PUSH_AUDIENCE": webhook,
            "GMAIL_PUSH_SERVICE_ACCOUNT": PUSH_SERVICE_ACCOUNT,
        }
        self.log("starting the Google stand-in (Gmail, OAuth, Pub/Sub push)…")
        child = spawn(
            "google",
            [sys.executable, "-m", "shared.devstack.standins.google"],
            env=shared | {"PUSH_ENDPOINT": webhook, "PORT": str(port), "HOST": "127.0.0.1"},
            log_dir=self.log_dir,
            cwd=REPO,
            port=port,
        )
        self.children.append(child)
        wait_for_port(port, 30, child.alive)
        self.google_env = shared | {
            "GMAIL_API_ENDPOINT": self.google_url,
            "GOOGLE_TOKEN_URI": f"{self.google_url}/token",
            "GOOGLE_CERTS_URL": f"{self.google_url}/oauth2/v1/certs",
            "GMAIL_PUBSUB_TOPIC": "projects/local-project/topics/gmail",
            "STATUS_LINK_KEY": secrets.token_urlsafe(32),
        }

    def _watch_mailbox(self) -> None:
        """Fire gmail-watch's PingSource once now, as an operator does after deploying: Gmail
        pushes nothing until a watch is on, and the schedule is daily."""
        pings = [p for p in self.manifests.ping_sources if p.sink == "gmail-watch"]
        if not self.google or "gmail-watch" not in self.urls or not pings:
            return
        asyncio.run(_ping_once(pings[0], self.urls["gmail-watch"]))

    def _start_standins(self) -> None:
        """The outside services the channels call, as local stand-ins reached by base URL."""
        self.log("starting the Twilio stand-in…")
        sender = self.manifests.config_maps["fte-config"]["TWILIO_WHATSAPP_FROM"]
        twilio, account = start_twilio(self.data_dir, self.log_dir, REPO, sender, self.gateway_url)
        self.children.append(twilio)
        self.standin_env |= account.function_env()

    def _start_functions(self) -> None:
        provided = (
            {
                "DATABASE_URL": self.database_url,
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "PUBLIC_BASE_URL": self.gateway_url,
                "HOST": "127.0.0.1",
            }
            | self.google_env
            | self.standin_env
            | self.env
        )
        for name, service in self.manifests.services.items():
            if self.functions is not None and name not in self.functions:
                continue
            scale = Scale(service, listening_socket(), self._idle_period(service))
            mounts = mount_config_maps(service, self.manifests, self.data_dir / "mounts")
            env = service_env(service, self.manifests, provided, mounts) | {"PORT": str(scale.port)}
            child = spawn(
                name,
                activated(function_argv(service), scale.sock),
                env=env,
                log_dir=self.log_dir,
                cwd=REPO,
                port=scale.port,
                pass_fds=(scale.sock.fileno(),),
            )
            self.children.append(child)
            self.scales[name] = scale
            self.urls[name] = scale.url
        self.log(f"starting {len(self.scales)} functions: {', '.join(self.urls)}…")
        for name, scale in self.scales.items():
            child = self.child(name)
            try:
                probe(scale.url, READY_TIMEOUT, child.alive)
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(f"{name} did not start: {exc}\n{child.log_tail()}") from exc

    def _idle_period(self, service: Service) -> float | None:
        if self.keep_warm or service.idle_period is None:
            return None
        return service.idle_period if self.idle_period is None else self.idle_period

    def _start_dispatcher(self) -> None:
        metrics_port = free_port()
        env = {
            "FTE_BOOTSTRAP": self.bootstrap,
            "FTE_SUBSCRIBERS": json.dumps(self.urls),
            "FTE_METRICS_PORT": str(metrics_port),
            ACTIVITY_ENV: str(self.activity_dir),
            ACTIVITY_SOURCE_ENV: "dispatcher",
        }
        if self.ping_interval is not None:
            env["FTE_PING_INTERVAL"] = str(self.ping_interval)
        self.children.append(
            spawn(
                "dispatcher",
                [sys.executable, "-m", "shared.devstack.dispatcher"],
                env=env,
                log_dir=self.log_dir,
                cwd=REPO,
                port=metrics_port,
            )
        )
        self.dispatcher_metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"

    def _start_gateway(self) -> None:
        env = {
            "FTE_BACKENDS": json.dumps(self.urls),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            ACTIVITY_ENV: str(self.activity_dir),
            ACTIVITY_SOURCE_ENV: "gateway",
        }
        child = spawn(
            "gateway",
            [sys.executable, "-m", "shared.devstack.gateway"],
            env=env,
            log_dir=self.log_dir,
            cwd=REPO,
            port=self.port,
        )
        self.children.append(child)
        try:
            wait_for_port(self.port, 30, child.alive)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(
                f"the gateway did not start on port {self.port}: {exc}\n{child.log_tail()}"
            ) from exc

    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    def _write_state(self) -> None:
        """Where the running stack answers, for ``fte try`` in another terminal."""
        state = {
            "gateway": self.gateway_url,
            "google": self.google_url,
            "database_url": self.database_url,
            "bootstrap": self.bootstrap,
            "functions": self.urls,  # each serves its Prometheus metrics at /metrics
            "dispatcher_metrics": self.dispatcher_metrics_url,
            "pid": os.getpid(),
            "services": {n: sc.status(self.child(n).alive()) for n, sc in self.scales.items()},
            "subscriptions": [
                {
                    "name": sub.name,
                    "kind": sub.kind,
                    "group": sub.consumer_group,
                    "topics": sub.topics,
                    "subscriber": sub.subscriber,
                }
                for sub in self.manifests.subscriptions
                if sub.subscriber in self.urls
            ],
            "dead_letter_topics": sorted(set(self.manifests.sinks.values())),
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_path)  # a reader never sees half a file

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def supervise(self, hold: Collection[str] = ()) -> list[str]:
        """Restart each dead child with its argv, env, cwd and port; the names restarted.

        Children named in ``hold`` stay down (an outage). Raises :class:`StackFailure` when S3
        died (the broker's log is gone with it) or when a child keeps exiting right after it
        starts (a crash loop).
        """
        restarted: list[str] = []
        if self._autoscale():
            self._write_state()
        for child in self.children:
            at_zero = child.name in self.scales and self.scales[child.name].at_zero
            if child.alive() or child.name in hold or at_zero:
                continue
            if child.name == "s3":
                raise StackFailure(
                    f"S3 (moto) exited (code {child.process.returncode}): the broker's log is gone"
                )
            self._count_exit(child)
            if child.name == "broker":
                restart_tansu(child, self.manifests.topics)
            else:
                self._listen_again(child)
                child.restart()
            restarted.append(child.name)
        return restarted

    def _autoscale(self) -> bool:
        """Scale to zero what has been idle for its period, from zero what a request waits on."""
        changed, now = False, time.time()
        for name, scale in self.scales.items():
            child = self.child(name)
            if scale.at_zero and waiting([scale.sock]):
                self.log(f"{name}: a request is waiting; starting it from zero…")
                child.restart()
                scale.at_zero, scale.last_change = False, now
                scale.cold_starts += 1
                log_cold_start(scale, child.alive, self.log)
                changed = True
            elif not scale.at_zero and scale.idle_period is not None and child.alive():
                idle = scale.idle_for(last_request(self.activity_dir, name), now)
                if idle >= scale.idle_period:
                    child.stop()
                    scale.at_zero, scale.last_change = True, now
                    self.log(f"{name}: no request for {idle:.0f}s: scaled to zero")
                    changed = True
        return changed

    def wait_for_requests(self, timeout: float) -> None:
        """Block up to ``timeout`` seconds, less when a request waits on a Service at zero."""
        at_zero = [scale.sock for scale in self.scales.values() if scale.at_zero]
        if at_zero:
            waiting(at_zero, timeout)
        else:
            time.sleep(timeout)

    def _count_exit(self, child: Child) -> None:
        quick = not child.killed and child.uptime() < CRASH_WINDOW
        count = self.quick_exits.get(child.name, 0) + 1 if quick else 0
        self.quick_exits[child.name] = count
        if count >= CRASH_LIMIT:
            raise StackFailure(
                f"{child.name} is crash-looping: it exited {count} times in a row within "
                f"{CRASH_WINDOW:.0f}s of starting (last code {child.process.returncode}); "
                f"see {child.log_path}:\n{child.log_tail()}"
            )

    def kill(self, name: str) -> None:
        """SIGKILL one child (a fault); no restart here: the next :meth:`supervise` brings it back.

        A killed function's socket is closed too, as a lost pod leaves its endpoints: what was
        waiting for it is reset, and until it is back a delivery is refused and retried, rather
        than held until the delivery's timeout.
        """
        child = self.child(name)
        if not child.alive():
            return
        child.kill()
        if name in self.scales:
            self.scales[name].sock.close()

    def _listen_again(self, child: Child) -> None:
        """Before a function restarts after a kill: its port listens again, handed to it anew."""
        scale = self.scales.get(child.name)
        if scale is None or scale.sock.fileno() != -1:
            return
        deadline = time.monotonic() + REBIND_SECONDS
        while True:  # the killed group's last process may hold the port a moment longer
            try:
                scale.sock = listening_socket(port=scale.port_number)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise StackFailure(f"{child.name}: port {scale.port_number}: {exc}") from exc
                time.sleep(0.05)
        child.spec = replace(
            child.spec,
            argv=tuple(activated(function_argv(scale.service), scale.sock)),
            pass_fds=(scale.sock.fileno(),),
        )

    def restart_broker(self) -> None:
        """Stop the broker and start it again on the same port and storage (S3 or memory)."""
        restart_tansu(self.child("broker"), self.manifests.topics)

    def restart_postgres(self) -> None:
        """Stop the embedded server and start it again on the same pgdata (and socket)."""
        if self.postgres is None:
            raise RuntimeError("PostgreSQL is not running")
        stop_postgres(self.postgres)
        self.postgres = start_postgres(self.data_dir / "pgdata")
        uri = self.postgres.get_uri(DATABASE)
        if uri != self.database_url:
            raise StackFailure(f"PostgreSQL came back at {uri}, not at {self.database_url}")
        wait_for_postgres(uri)

    def stop(self) -> None:
        """Stop front to back, each tier at once: the gateway, the dispatcher, the functions, the
        broker, S3, Postgres last, so in-flight work can finish. Safe to call twice."""
        self.state_path.unlink(missing_ok=True)
        tiers = [["gateway"], ["dispatcher"], list(self.urls), ["broker"], ["s3"]]
        for tier in tiers:
            stop_together(c for c in self.children if c.name in tier)
        stop_together(self.children)  # anything not in a tier
        self.children.clear()
        for scale in self.scales.values():
            scale.sock.close()
        self.scales.clear()
        if self.postgres is not None:
            stop_postgres(self.postgres)
            self.postgres = None
