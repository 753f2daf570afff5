"""Why a ticket goes to a person: the reason codes, in one place."""

from __future__ import annotations

from typing import Literal, get_args

# The hard rules' reasons (escalation-rules.yaml), checked before any model runs.
ReasonCode = Literal[
    "pricing_inquiry",
    "refund_request",
    "legal",
    "human_requested",
    "profanity",
    "shouting",
    "negative_sentiment",
]
# Every reason a ticket can be escalated with: the rules', plus the agent's own.
EscalationReason = Literal[ReasonCode, "kb_miss", "agent_error"]

RULE_REASONS: frozenset[str] = frozenset(get_args(ReasonCode))
ESCALATION_REASONS: frozenset[str] = frozenset(get_args(EscalationReason))
