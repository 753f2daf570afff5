"""The evaluation's figures, from what was expected and what the agent did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.evaluation.tickets import EvalTicket


@dataclass(frozen=True)
class Result:
    ticket: EvalTicket
    escalated: bool
    reason: str | None
    tools_called: tuple[str, ...]
    kb_hits: int
    top_passage: str | None
    latency_ms: float


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 1)


def score(results: list[Result]) -> dict[str, Any]:
    labelled = [r for r in results if r.ticket.expected_action]
    expected = [r.ticket.expected_action == "escalate" for r in labelled]
    actual = [r.escalated for r in labelled]
    tp = sum(e and a for e, a in zip(expected, actual, strict=True))
    fp = sum(a and not e for e, a in zip(expected, actual, strict=True))
    fn = sum(e and not a for e, a in zip(expected, actual, strict=True))
    both = [
        r
        for r in labelled
        if r.escalated and r.ticket.expected_action == "escalate" and r.ticket.escalation_reason
    ]
    to_resolve = [r for r in labelled if r.ticket.expected_action == "resolve"]
    with_section = [r for r in to_resolve if r.ticket.expected_section]
    return {
        "tickets": len(results),
        "labelled": len(labelled),
        "escalation_accuracy": _ratio(
            sum(e == a for e, a in zip(expected, actual, strict=True)), len(labelled)
        ),
        "escalation_precision": _ratio(tp, tp + fp),
        "escalation_recall": _ratio(tp, tp + fn),
        "reason_agreement": _ratio(
            sum(r.reason == r.ticket.escalation_reason for r in both), len(both)
        ),
        "ticket_first_rate": _ratio(
            sum(r.tools_called[:1] == ("create_ticket",) for r in results), len(results)
        ),
        "kb_hit_rate": _ratio(
            sum(r.kb_hits > 0 and not r.escalated for r in to_resolve), len(to_resolve)
        ),
        "section_accuracy": _ratio(
            sum(
                bool(r.top_passage and r.top_passage.endswith(str(r.ticket.expected_section)))
                for r in with_section
            ),
            len(with_section),
        ),
        "latency_ms_p50": _percentile([r.latency_ms for r in results], 50),
        "latency_ms_p95": _percentile([r.latency_ms for r in results], 95),
    }


def mismatches(results: list[Result]) -> list[str]:
    """One line per labelled ticket the agent handled differently, for the report."""
    lines = []
    for r in results:
        want = r.ticket.expected_action
        got = "escalate" if r.escalated else "resolve"
        if want and (
            want != got
            or (
                r.escalated
                and r.ticket.escalation_reason
                and r.reason != r.ticket.escalation_reason
            )
        ):
            lines.append(
                f"{r.ticket.id}: expected {want}/{r.ticket.escalation_reason or '-'}, "
                f"got {got}/{r.reason or '-'}"
            )
    return lines
