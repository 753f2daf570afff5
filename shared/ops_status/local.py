"""``fte ops status`` of the local stack: its state file, its broker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

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


async def retries(metrics_url: str | None) -> dict[str, int]:
    """Delivery attempts after the first, per route, from the dispatcher's Prometheus counters."""
    if not metrics_url:
        return {}
    async with httpx.AsyncClient(timeout=5) as client:
        text = (await client.get(metrics_url)).text
    return {
        sample.labels["route"]: int(sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == "fte_dispatcher_retries"
        for sample in family.samples
        if sample.name == "fte_dispatcher_retries_total"
    }


async def local_status(data_dir: Path) -> Status:
    state = stack_state(data_dir)
    routes = routes_of(state)
    bootstrap = state["bootstrap"]
    statuses, depth = await route_statuses(bootstrap, routes, state.get("dead_letter_topics", []))
    retried = await retries(state.get("dispatcher_metrics"))
    statuses = [replace(s, retried=retried.get(s.name, 0)) for s in statuses]
    return Status(
        source=f"local stack ({data_dir}), broker {bootstrap}",
        functions=functions_of(state),
        routes=statuses,
        dead_letter_depth=depth,
    )
