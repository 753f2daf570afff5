"""When each Service last had a request, and whether one is in flight: what scale to zero decides on.

In a cluster Knative's autoscaler learns this from the queue-proxy beside each pod; here the two
processes that send requests to the functions, the gateway and the dispatcher, mark it in
``$FTE_ACTIVITY_DIR/<service>/<source>``: a file's time is when that source's last request to the
service ended, or a time in the future while one is in flight, so a Service busy with a long
request is never taken for idle. A request start or end touches the file at most once a second
while requests flow; the last end always does.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from pathlib import Path

ENV = "FTE_ACTIVITY_DIR"
SOURCE_ENV = "FTE_ACTIVITY_SOURCE"  # gateway, dispatcher
BUSY = 86_400.0  # seconds ahead: the mark of a request in flight
_EVERY = 1.0  # seconds: a touch more often than this adds nothing the stack can see


class Activity:
    def __init__(self, folder: Path | None, source: str = "requests") -> None:
        self.folder, self.source = folder, source
        self._touched: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            for mark in folder.glob(f"*/{source}"):  # what a killed predecessor left in flight
                _set(mark, time.time())

    @classmethod
    def from_env(cls) -> Activity:
        folder = os.environ.get(ENV)
        return cls(Path(folder) if folder else None, os.environ.get(SOURCE_ENV, "requests"))

    def _mark(self, service: str, busy: bool, force: bool = False) -> None:
        if self.folder is None:
            return
        now = time.monotonic()
        if not force and now - self._touched.get(service, -_EVERY) < _EVERY:
            return
        self._touched[service] = now
        path = self.folder / service / self.source
        path.parent.mkdir(exist_ok=True)
        path.touch()
        _set(path, time.time() + (BUSY if busy else 0.0))

    @contextlib.contextmanager
    def request(self, service: str) -> Iterator[None]:
        """Marks ``service`` busy for the request, and when the last one in flight ended."""
        self._in_flight[service] = self._in_flight.get(service, 0) + 1
        self._mark(service, busy=True, force=self._in_flight[service] == 1)
        try:
            yield
        finally:
            self._in_flight[service] -= 1
            idle = self._in_flight[service] == 0
            self._mark(service, busy=not idle, force=idle)


def _set(path: Path, moment: float) -> None:
    os.utime(path, (moment, moment))


def last_request(folder: Path, service: str) -> float | None:
    """Wall-clock time of ``service``'s last request, in the future while one is in flight;
    None when it never had one."""
    marks = [p.stat().st_mtime for p in (folder / service).glob("*")] if folder.exists() else []
    return max(marks, default=None)


@functools.cache
def of_this_process() -> Activity:
    """The one :class:`Activity` of a gateway or dispatcher process, from its environment."""
    return Activity.from_env()
