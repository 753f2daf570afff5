"""When each Service last had a request: what the stack's scale-to-zero decides on.

In a cluster Knative's autoscaler learns this from the queue-proxy beside each pod; here the two
processes that send requests to the functions, the gateway and the dispatcher, mark it: each
request touches ``$FTE_ACTIVITY_DIR/<service>`` when it starts and when it ends (at most once a
second per Service while requests flow), and the stack reads the files' times.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from pathlib import Path

ENV = "FTE_ACTIVITY_DIR"
_EVERY = 1.0  # seconds: a touch more often than this adds nothing the stack can see


class Activity:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._touched: dict[str, float] = {}
        self._in_flight: dict[str, int] = {}
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_env(cls) -> Activity:
        folder = os.environ.get(ENV)
        return cls(Path(folder) if folder else None)

    def touch(self, service: str, force: bool = False) -> None:
        if self.folder is None:
            return
        now = time.monotonic()
        if not force and now - self._touched.get(service, -_EVERY) < _EVERY:
            return
        self._touched[service] = now
        (self.folder / service).touch()

    @contextlib.contextmanager
    def request(self, service: str) -> Iterator[None]:
        """Marks the start and the end of one request to ``service``."""
        self._in_flight[service] = self._in_flight.get(service, 0) + 1
        self.touch(service)
        try:
            yield
        finally:
            self._in_flight[service] -= 1
            self.touch(service, force=self._in_flight[service] == 0)


def last_request(folder: Path, service: str) -> float | None:
    """Wall-clock time of ``service``'s last marked request, None when it never had one."""
    try:
        return (folder / service).stat().st_mtime
    except FileNotFoundError:
        return None


@functools.cache
def of_this_process() -> Activity:
    """The one :class:`Activity` of a gateway or dispatcher process, from ``$FTE_ACTIVITY_DIR``."""
    return Activity.from_env()
