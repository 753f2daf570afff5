"""What ``fte ops status`` shows: each function's revision and scale, each event route's progress.

The same view for the local stack and a cluster; only where the figures come from differs
(``local.py``, ``cluster.py``). A figure a source cannot know is None and shows as ``-``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FunctionStatus:
    name: str
    revision: str
    ready: bool
    desired: int | None
    actual: int | None
    last_change: float | None  # Unix time of the last scale or readiness change


@dataclass(frozen=True)
class Route:
    """A KafkaSource or a Trigger: what consumes which topics, as which group, for whom."""

    name: str
    kind: str
    group: str
    topics: tuple[str, ...]
    subscriber: str  # the Knative Service it delivers to
    subscriber_url: str = ""  # where its dead letters say they were meant for


@dataclass(frozen=True)
class RouteStatus:
    name: str
    kind: str
    subscriber: str
    lag: int | None  # records on its topics its group has not committed yet
    delivered: int | None  # records its group has committed (delivered or dead-lettered)
    retried: int | None  # delivery attempts after the first, from the data plane's counters
    dead_lettered: int | None  # records on the dead-letter topics that were meant for it


@dataclass
class Status:
    source: str  # "local stack at …" or "cluster …, namespace …"
    functions: list[FunctionStatus] = field(default_factory=list)
    routes: list[RouteStatus] = field(default_factory=list)
    dead_letter_depth: dict[str, int] = field(default_factory=dict)  # topic -> records on it
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    return str(value)


def _ago(moment: float | None, now: float) -> str:
    if moment is None:
        return "-"
    seconds = max(0, int(now - moment))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]


def render(status: Status, now: float | None = None) -> str:
    now = time.time() if now is None else now
    functions = _table(
        ["FUNCTION", "REVISION", "READY", "SCALE", "LAST CHANGE"],
        [
            [
                f.name,
                f.revision,
                _cell(f.ready),
                f"{_cell(f.actual)}/{_cell(f.desired)}",
                _ago(f.last_change, now),
            ]
            for f in status.functions
        ],
    )
    routes = _table(
        ["ROUTE", "KIND", "SUBSCRIBER", "LAG", "DELIVERED", "RETRIED", "DEAD-LETTERED"],
        [
            [
                r.name,
                r.kind,
                r.subscriber,
                _cell(r.lag),
                _cell(r.delivered),
                _cell(r.retried),
                _cell(r.dead_lettered),
            ]
            for r in status.routes
        ],
    )
    depth = ", ".join(f"{t} {n}" for t, n in status.dead_letter_depth.items()) or "-"
    lines = [status.source, "", *functions, "", *routes, "", f"Dead-letter topics: {depth}"]
    return "\n".join([*lines, *(f"note: {n}" for n in status.notes)])
