"""The evaluation's figures, from what was expected and what the agent did.

Reason codes are compared through the aliases of the rules file (``explicit_human_request``
is ``human_requested``). Answer quality is scored on the tickets that should be answered and
name the doc section that answers them: hit@1 when the ticket was answered from a passage of
that section, hit@3 when the section is among the best three passages of the first search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.evaluation.tickets import EvalTicket
from shared.kb.passages import section_of

HIT_AT = 3


@dataclass(frozen=True)
class Result:
    ticket: EvalTicket
    escalated: bool
    reason: str | None
    tools_called: tuple[str, ...]
    kb_hits: int
    top_passage: str | None
    latency_ms: float
    found: tuple[str, ...] = ()  # titles of the best passages of every search, in order

    def answered_from(self, section: str) -> bool:
        return (
            not self.escalated
            and self.top_passage is not None
            and (section_of(self.top_passage) == section)
        )

    def found_in_top(self, section: str, k: int = HIT_AT) -> bool:
        return section in (section_of(title) for title in self.found[:k])


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 1)


def _same(name: str | None) -> str | None:
    return name


def score(
    results: list[Result], canonical: Callable[[str | None], str | None] = _same
) -> dict[str, Any]:
    """The figures of one set of results; ``canonical`` maps a reason name to its code."""
    labelled = [r for r in results if r.ticket.expected_action]
    expected = [r.ticket.expected_action == "escalate" for r in labelled]
    actual = [r.escalated for r in labelled]
    pairs = list(zip(expected, actual, strict=True))
    tp = sum(e and a for e, a in pairs)
    fp = sum(a and not e for e, a in pairs)
    fn = sum(e and not a for e, a in pairs)
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
        "escalation_accuracy": _ratio(sum(e == a for e, a in pairs), len(labelled)),
        "escalation_precision": _ratio(tp, tp + fp),
        "escalation_recall": _ratio(tp, tp + fn),
        "reason_agreement": _ratio(
            sum(canonical(r.reason) == canonical(r.ticket.escalation_reason) for r in both),
            len(both),
        ),
        "ticket_first_rate": _ratio(
            sum(r.tools_called[:1] == ("create_ticket",) for r in results), len(results)
        ),
        "kb_hit_rate": _ratio(
            sum(r.kb_hits > 0 and not r.escalated for r in to_resolve), len(to_resolve)
        ),
        "answer_hit_at_1": _ratio(
            sum(r.answered_from(str(r.ticket.expected_section)) for r in with_section),
            len(with_section),
        ),
        f"search_hit_at_{HIT_AT}": _ratio(
            sum(r.found_in_top(str(r.ticket.expected_section)) for r in with_section),
            len(with_section),
        ),
        "latency_ms_p50": _percentile([r.latency_ms for r in results], 50),
        "latency_ms_p95": _percentile([r.latency_ms for r in results], 95),
    }


def mismatches(
    results: list[Result], canonical: Callable[[str | None], str | None] = _same
) -> list[str]:
    """One line per labelled ticket the agent handled differently, for the report."""
    lines = []
    for r in results:
        want = r.ticket.expected_action
        got = "escalate" if r.escalated else "resolve"
        section = r.ticket.expected_section
        if not want:
            continue
        if want != got or (
            r.escalated
            and r.ticket.escalation_reason
            and canonical(r.reason) != canonical(r.ticket.escalation_reason)
        ):
            lines.append(
                f"{r.ticket.id}: expected {want}/{r.ticket.escalation_reason or '-'}, "
                f"got {got}/{r.reason or '-'}"
            )
        elif want == "resolve" and section and not r.answered_from(section):
            lines.append(
                f"{r.ticket.id}: answered from {r.top_passage!r}, expected section {section!r}"
            )
    return lines
