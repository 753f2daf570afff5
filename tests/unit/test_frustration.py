"""Frustration: how upset the customer is at the company, not how negative the words sound."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.agent.frustration import frustration
from shared.agent.guardrails import assess
from shared.agent.rules import EscalationRules, load_rules

RULES_FILE = Path(__file__).resolve().parents[2] / "shared" / "context" / "escalation-rules.yaml"


@pytest.fixture(scope="module")
def rules() -> EscalationRules:
    return load_rules(RULES_FILE)


# Calm, factual reports written in the vocabulary of support, which VADER alone scores as
# strongly negative. Invented for this test; none is in an evaluation set.
CALM_TECHNICAL = [
    "Since the upgrade our nightly import job fails with AccessDenied, which role does it need?",
    "The worker was killed with exit code 137 twice, is there a memory limit per process?",
    "How do I terminate a stuck build without deleting the project?",
    "Our webhook returns an error 500 and the retries stopped. What does a dead letter mean?",
    "The sensor shows a broken link icon and the battery is dead after a week. Normal?",
    "Where is the emergency stop that cuts power to every device?",
]

# Customers who are upset with us but use no trigger word, in calm sentence case.
ANGRY_WITHOUT_KEYWORDS = [
    (
        "The payroll run has been stuck since Friday and every day it stays stuck costs us "
        "money in penalties. I expect this working by tomorrow morning.",
        {"money_lost", "demand", "deadline"},
    ),
    (
        "Who approved removing the export button? Half my team now copies data by hand. "
        "If it does not come back this month we will take our business elsewhere.",
        {"indignant_question", "threat_to_leave"},
    ),
    (
        "This is the fourth time this month the sync drops our orders. I have asked twice "
        "for a fix and nobody has replied. I will be disputing this month's invoice.",
        {"exasperation", "dispute"},
    ),
]


@pytest.mark.parametrize("text", CALM_TECHNICAL)
def test_calm_technical_reports_are_not_frustration(text: str, rules: EscalationRules) -> None:
    assessed = assess(text, rules)
    assert assessed.reason is None
    assert assessed.sentiment < 0.5  # plain VADER would have read them as negative
    assert assessed.frustration.score < rules.frustration.threshold


@pytest.mark.parametrize(("text", "signals"), ANGRY_WITHOUT_KEYWORDS)
def test_anger_urgency_and_threats_are_frustration(
    text: str, signals: set[str], rules: EscalationRules
) -> None:
    assessed = assess(text, rules)
    assert assessed.reason == "negative_sentiment"
    assert signals <= set(assessed.frustration.signals)
    assert assessed.matched is not None and all(s in assessed.matched for s in signals)


def test_each_signal_counts_once_and_the_score_is_capped(rules: EscalationRules) -> None:
    once = frustration("I expect an answer.", rules.frustration)
    twice = frustration("I expect an answer. I expect it. We expect it.", rules.frustration)
    assert once.signals["demand"] == twice.signals["demand"]
    everything = frustration(
        "Who decided this?? I expect a fix TODAY, NOT NEXT WEEK, within the hour, or we are "
        "disputing the charge and moving everything elsewhere. Every hour costs us money.",
        rules.frustration,
    )
    assert {"caps", "punctuation", "dispute", "deadline"} <= set(everything.signals)
    assert everything.score == 1.0
    assert sum(everything.signals.values()) > 1.0


def test_a_very_negative_tone_alone_is_enough(rules: EscalationRules) -> None:
    text = "I am miserable and furious, this has been a horrible, awful, depressing week."
    upset = frustration(text, rules.frustration)
    assert set(upset.signals) == {"tone"}
    assert upset.score >= rules.frustration.threshold


def test_neutral_words_come_from_the_configuration(rules: EscalationRules) -> None:
    text = "The deploy failed with a fatal error."
    assert frustration(text, rules.frustration).signals == {}
    plain = rules.frustration.model_copy(update={"neutral_words": frozenset()})
    assert frustration(text, plain).signals["tone"] > 0


def test_the_threshold_comes_from_the_configuration(rules: EscalationRules) -> None:
    text = "I expect an answer about the export format."
    assert assess(text, rules).reason is None  # a demand alone is not enough
    lower = rules.model_copy(
        update={"frustration": rules.frustration.model_copy(update={"threshold": 0.3})}
    )
    assert assess(text, lower).reason == "negative_sentiment"
