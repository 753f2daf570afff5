"""A whole embedded stack in a temporary folder, started and stopped around a ``with`` block.

What the benchmarks and the fault suite share: a fresh folder, a free gateway port, the rate
limits off (their load comes from one address) and progress on stderr, so stdout keeps only
the figures.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from shared.devstack.ports import free_port
from shared.devstack.stack import Stack
from shared.throttle import unthrottled


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def temporary_stack(
    *,
    durable_broker: bool = False,
    functions: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    ping_interval: float | None = None,
    log: Callable[[str], None] = to_stderr,
    prefix: str = "fte-stack-",
) -> Iterator[Stack]:
    """A started :class:`Stack` with the per-client limits off (``env`` adds to and wins over
    that); stopped, and its folder removed, when the block ends."""
    settings = unthrottled() | (env or {})
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        stack = Stack(
            data_dir=Path(tmp),
            port=free_port(),
            durable_broker=durable_broker,
            functions=list(functions) if functions is not None else None,
            env=settings,
            ping_interval=ping_interval,
            log=log,
        )
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
