"""Rules that read intent: each hard rule tells a request from a mention, in both directions.

The examples are invented for these tests; none is in an evaluation set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.agent.guardrails import assess
from shared.agent.rules import EscalationRules, load_rules

RULES_FILE = Path(__file__).resolve().parents[2] / "shared" / "context" / "escalation-rules.yaml"


@pytest.fixture(scope="module")
def rules() -> EscalationRules:
    return load_rules(RULES_FILE)


REQUESTS = [
    ("Please refund the renewal that went through yesterday.", "refund_request"),
    ("I would like a refund for the unused months.", "refund_request"),
    ("Can you refund the second seat? We never used it.", "refund_request"),
    ("Could I speak with a real person about the migration?", "human_requested"),
    ("I'd like a representative to call our office.", "human_requested"),
    ("Can someone from your team look at our account?", "human_requested"),
    ("Do you give a discount for a three-year contract?", "pricing_inquiry"),
    ("How much does the Growth plan cost for 25 people?", "pricing_inquiry"),
    ("Our attorney will contact you about the outage.", "legal"),
    ("We are filing a claim for the data you lost.", "legal"),
    ("I want your legal department's position on data retention.", "legal"),
]

MENTIONS = [
    "I received the refund on Monday, thank you. How do I add a second admin?",
    "What does your refund policy say about annual plans?",
    "A colleague said she got refunded once; my question is about CSV exports.",
    "Is there a person on our side who can approve invoices, or only the owner?",
    "I asked a real person at the conference and she recommended your webhooks.",
    "Can I use my gift card and a promo code on the same order?",
    "How do billing periods work when I switch to yearly in the middle of a month?",
    "Our legal team wants to know where the invoices for last year are.",
]


@pytest.mark.parametrize(("text", "reason"), REQUESTS)
def test_a_request_fires_its_rule(text: str, reason: str, rules: EscalationRules) -> None:
    assessed = assess(text, rules)
    assert assessed.reason == reason
    assert assessed.matched is not None and assessed.matched.startswith(reason)


@pytest.mark.parametrize("text", MENTIONS)
def test_a_mention_in_passing_fires_nothing(text: str, rules: EscalationRules) -> None:
    assert assess(text, rules).reason is None


def test_the_request_must_be_in_the_same_sentence(rules: EscalationRules) -> None:
    mention = "The refund came through last week. Please tell me how to export my tasks."
    assert assess(mention, rules).reason is None
    request = "The invoice came through last week. Please refund it."
    assert assess(request, rules).reason == "refund_request"


def test_the_explanation_names_the_word_and_the_request(rules: EscalationRules) -> None:
    matched = assess("We would like a refund.", rules).matched
    assert matched is not None
    assert "refund" in matched and "with request" in matched and "want|need|like" in matched


def test_a_sentence_that_is_a_mention_is_skipped_whatever_it_holds(
    rules: EscalationRules,
) -> None:
    """``mentions`` win within their sentence: a policy question stays a question."""
    assert assess("Please send me your refund policy.", rules).reason is None
    assert assess("Please send me your refund policy. I want a refund.", rules).reason == (
        "refund_request"
    )
