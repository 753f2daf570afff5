"""The bench's figures as a terminal table, a JSON file and a PNG chart, each beside its baseline."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def _ms(value: float | None) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:,.1f}"


def _ratio(value: float, base: float) -> str:
    return f"{value / base:,.1f}×" if base > 0 else "–"


def tables(figures: dict[str, Any]) -> list[Table]:
    out = []
    webhooks = Table(title="Webhook answer latency, open loop (k6), ms")
    for column in ("intake", "req/s", "sent", "failed", "p50", "p99", "p99 / bare p99"):
        webhooks.add_column(column, justify="left" if column == "intake" else "right")
    bare = {r["rate"]: r for r in figures["webhooks"]["bare function (baseline)"]}
    for name, runs in figures["webhooks"].items():
        for run in runs:
            base = bare.get(run["rate"], run)
            webhooks.add_row(
                name,
                str(run["rate"]),
                str(run["sent"]),
                str(run["failed"] + run["dropped"]),
                _ms(run["p50_ms"]),
                _ms(run["p99_ms"]),
                _ratio(run["p99_ms"], base["p99_ms"]),
            )
    out.append(webhooks)

    replies = Table(title="Post → reply delivered (web form, offline model), ms")
    for column in ("run", "msgs/s", "accepted", "replied", "lost", "p50", "p95", "max"):
        replies.add_column(column, justify="left" if column == "run" else "right")
    for label, key in (("at rate", "replies"), ("sustained?", "sustained_runs")):
        for run in figures[key]:
            verdict = "" if key == "replies" else (" ✓" if _sustained(run) else " ✗")
            replies.add_row(
                label + verdict,
                str(run["rate"]),
                str(run["accepted"]),
                str(run["replied"]),
                str(run["lost"]),
                _ms(run["p50_ms"]),
                _ms(run["p95_ms"]),
                _ms(run["max_ms"]),
            )
    out.append(replies)

    search = Table(title="Knowledge-base search, ms (baseline: exact scan of every vector)")
    for column in ("passages", "embed p95", "SQL p50", "SQL p95", "with embed p50"):
        search.add_column(column, justify="right")
    for column in ("with embed p95", "exact p50", "recall@10"):
        search.add_column(column, justify="right")
    for run in figures["search"]:
        search.add_row(
            f"{run['passages']:,}",
            _ms(run["embed_p95_ms"]),
            _ms(run["sql_p50_ms"]),
            _ms(run["sql_p95_ms"]),
            _ms(run["with_embedding_p50_ms"]),
            _ms(run["with_embedding_p95_ms"]),
            _ms(run["exact_p50_ms"]),
            f"{run['recall_at_10']:.3f}",
        )
    out.append(search)

    cold = Table(title="Cold start (process start → first HTTP answer) and resident memory")
    for column in ("function", "cold start ms", "RSS MB"):
        cold.add_column(column, justify="left" if column == "function" else "right")
    for run in figures["cold"]:
        cold.add_row(run["name"], _ms(run["cold_start_ms"]), _ms(run["rss_mb"]))
    cold.add_row("agent-runner: restart → first reply", _ms(figures["agent_first_reply_ms"]), "")
    cold.add_row("bare function (baseline)", _ms(figures["bare_cold_start_ms"]), "")
    out.append(cold)

    agent = Table(title="The agent's own time per message (offline model), ms")
    for column in ("what", "msgs/s", "turn p50", "turn p95", "CPU ms / msg"):
        agent.add_column(column, justify="left" if column == "what" else "right")
    for run in figures["replies"]:
        agent.add_row(
            "agent turn: guardrails, tools, search, effects",
            str(run["rate"]),
            _ms(run["turn_p50_ms"]),
            _ms(run["turn_p95_ms"]),
            _ms(run["agent_cpu_ms_per_message"]),
        )
    out.append(agent)
    return out


def _sustained(run: dict[str, Any]) -> bool:
    return bool(run["lost"] == 0 and not run["cut_short"])


def print_tables(figures: dict[str, Any], console: Console) -> None:
    for table in tables(figures):
        console.print(table)


def finite(value: Any) -> Any:
    """``value`` with every NaN (a figure not measured) as None, so the JSON stays JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def write_json(figures: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(finite(figures), indent=2, default=str) + "\n")


def write_chart(figures: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ((hooks, replies), (search, cold)) = plt.subplots(2, 2, figsize=(13, 9))
    for name, runs in figures["webhooks"].items():
        style = "ks--" if "baseline" in name else "o-"
        hooks.plot([r["rate"] for r in runs], [r["p99_ms"] for r in runs], style, label=name)
    hooks.set(title="Webhook p99 (open loop)", xlabel="requests/s", ylabel="ms", yscale="log")
    hooks.legend(fontsize=7)

    runs = figures["replies"] + figures["sustained_runs"]
    rates = [r["rate"] for r in runs]
    replies.scatter(rates, [r["p50_ms"] for r in runs], label="p50")
    replies.scatter(rates, [r["p95_ms"] for r in runs], label="p95")
    replies.axhline(1000, color="grey", linestyle=":", label="target p95 (1 s)")
    replies.set(title="Post → reply delivered", xlabel="messages/s", ylabel="ms", yscale="log")
    replies.legend(fontsize=7)

    sizes = [r["passages"] for r in figures["search"]]
    for key, label in (
        ("with_embedding_p95_ms", "p95 with the query embedding"),
        ("sql_p95_ms", "p95 SQL only"),
        ("exact_p50_ms", "baseline: exact scan p50"),
    ):
        search.plot(sizes, [r[key] for r in figures["search"]], "o-", label=label)
    search.set(title="Knowledge-base search", xlabel="passages", ylabel="ms", xscale="log")
    search.legend(fontsize=7)

    names = [r["name"] for r in figures["cold"]]
    cold.barh(names, [r["cold_start_ms"] for r in figures["cold"]], label="cold start ms")
    cold.axvline(
        figures["bare_cold_start_ms"], color="black", linestyle="--", label="bare function"
    )
    cold.axvline(1500, color="grey", linestyle=":", label="target (1.5 s)")
    cold.set(title="Cold start (to first HTTP answer)", xlabel="ms")
    cold.tick_params(axis="y", labelsize=7)
    cold.legend(fontsize=7)
    fig.suptitle(f"nox -s bench ({figures['mode']}), {figures['finished_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def headline(figures: dict[str, Any]) -> dict[str, Any]:
    """The one-line JSON object: the figures the issue names, then the whole record's path."""

    def at(name: str, rate: int, key: str) -> float | None:
        runs = [r for r in figures["webhooks"].get(name, []) if r["rate"] == rate]
        return runs[0][key] if runs else None

    target = figures["webhook_rate"]
    replies = [r for r in figures["replies"] if r["rate"] == figures["reply_rate"]]
    largest = max(figures["search"], key=lambda r: r["passages"])
    return finite(
        {
            "bare_p99_ms": at("bare function (baseline)", target, "p99_ms"),
            "webhook_p99_ms": at("web form", target, "p99_ms"),
            "webhook_gateway_p99_ms": at("web form via dev gateway", target, "p99_ms"),
            "email_push_p99_ms": at("email push (Gmail)", target, "p99_ms"),
            "whatsapp_p99_ms": at("WhatsApp webhook (Twilio)", target, "p99_ms"),
            "reply_p95_ms": replies[0]["p95_ms"] if replies else None,
            "sustained_msgs_per_s": figures["sustained_msgs_per_s"],
            "lost": sum(r["lost"] for r in figures["replies"] + figures["sustained_runs"]),
            "search_p95_ms_100k": largest["with_embedding_p95_ms"],
            "search_passages": largest["passages"],
            "recall_at_10": largest["recall_at_10"],
            "cold_start_ms": {r["name"]: round(r["cold_start_ms"], 1) for r in figures["cold"]},
            "agent_first_reply_ms": figures["agent_first_reply_ms"],
            "agent_cpu_ms_per_message": figures["replies"][0]["agent_cpu_ms_per_message"],
            "rss_mb": {r["name"]: round(r["rss_mb"], 1) for r in figures["cold"]},
            "mode": figures["mode"],
            "webhook_rate": target,
            "reply_rate": figures["reply_rate"],
            "json": figures["json_path"],
            "png": figures["png_path"],
        }
    )
