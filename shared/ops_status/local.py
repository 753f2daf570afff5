"""``fte ops status`` of the local stack: its state file, its broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.devstack.trying import stack_state
from shared.ops_status.kafka_progress import route_statuses
from shared.ops_status.view import FunctionStatus, Route, Status


def routes_of(state: dict[str, Any]) -> list[Route]:
    urls = {name: s["url"] for name, s in state.get("services", {}).items()}
    return [
        Route(
            r["name"],
            r["kind"],
            r["group"],
            tuple(r["topics"]),
            r["subscriber"],
            urls.get(r["subscriber"], ""),
        )
        for r in state.get("subscriptions", [])
    ]


def functions_of(state: dict[str, Any]) -> list[FunctionStatus]:
    return [
        FunctionStatus(
            name,
            s["revision"],
            ready=bool(s["actual"]) or not s["desired"],
            desired=s["desired"],
            actual=s["actual"],
            last_change=s["last_change"],
        )
        for name, s in sorted(state.get("services", {}).items())
    ]


async def local_status(data_dir: Path) -> Status:
    state = stack_state(data_dir)
    routes = routes_of(state)
    bootstrap = state["bootstrap"]
    statuses, depth = await route_statuses(bootstrap, routes, state.get("dead_letter_topics", []))
    return Status(
        source=f"local stack ({data_dir}), broker {bootstrap}",
        functions=functions_of(state),
        routes=statuses,
        dead_letter_depth=depth,
    )
