"""Each Service's scale on the stack, 0 or 1 process, decided as Knative's autoscaler decides it.

A Service whose ``min-scale`` is 0 is stopped once it has had no request for its idle period
(``Service.idle_period``) and started again when a request waits on its socket (activation.py);
its cold start, from process start to its first answer, is logged. ``initial-scale`` is 1 for
every Service, so all start with the stack, as they do when the manifests are applied.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.devstack.manifests import Service

READY_TIMEOUT = 120.0  # seconds: the agent runner loads its model before it answers


@dataclass
class Scale:
    service: Service
    sock: socket.socket
    idle_period: float | None  # None: never scaled to zero
    at_zero: bool = False
    last_change: float = field(default_factory=time.time)  # wall clock: started or stopped
    cold_starts: int = 0
    last_cold_start: float | None = None  # seconds from process start to first answer

    @property
    def name(self) -> str:
        return self.service.name

    port_number: int = 0  # kept: a closed socket no longer says its port

    def __post_init__(self) -> None:
        self.port_number = int(self.sock.getsockname()[1])

    @property
    def port(self) -> int:
        return self.port_number

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def idle_for(self, last_request: float | None, now: float) -> float:
        return now - max(last_request or 0.0, self.last_change)

    def status(self, alive: bool) -> dict[str, Any]:
        """What ``fte ops status`` shows of it (kept in the stack's state file)."""
        return {
            "revision": self.service.revision,
            "url": self.url,
            "min_scale": self.service.min_scale,
            "desired": 0 if self.at_zero else 1,
            "actual": 1 if alive else 0,
            "last_change": self.last_change,
            "idle_period": self.idle_period,
            "cold_starts": self.cold_starts,
            "last_cold_start": self.last_cold_start,
        }


def probe(url: str, timeout: float, alive: Callable[[], bool]) -> float:
    """Seconds until ``url`` answers HTTP at all (any status): the process serves requests.

    A connection alone proves nothing here: the stack's socket accepts it into the kernel's
    queue whether the function runs or not.
    """
    started = time.monotonic()
    deadline = started + timeout
    with httpx.Client(timeout=2.0, headers={"user-agent": "fte-dev-stack readiness"}) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError("the process exited while starting")
            try:
                client.get(url + "/")
                return time.monotonic() - started
            except httpx.HTTPError:
                time.sleep(0.05)
    raise TimeoutError(f"no answer from {url} after {timeout:.0f}s")


def log_cold_start(scale: Scale, alive: Callable[[], bool], log: Callable[[str], object]) -> None:
    """In a thread: time the cold start that just began and log it (the stack goes on meanwhile)."""

    def measure() -> None:
        try:
            took = probe(scale.url, READY_TIMEOUT, alive)
        except (RuntimeError, TimeoutError) as exc:
            log(f"{scale.name}: cold start failed: {exc}")
            return
        scale.last_cold_start = took
        log(f"{scale.name}: cold start {scale.service.revision}: answering after {took:.2f}s")

    threading.Thread(target=measure, name=f"cold-start-{scale.name}", daemon=True).start()
