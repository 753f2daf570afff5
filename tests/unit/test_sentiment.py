"""Sentiment on the 0..1 scale the escalation threshold uses."""

from __future__ import annotations

import pytest

from shared.agent import sentiment as sentiment_module
from shared.agent.sentiment import sentiment


def test_neutral_text_is_one_half() -> None:
    assert sentiment("The export is a CSV file.") == pytest.approx(0.5)
    assert sentiment("") == pytest.approx(0.5)


def test_scale_follows_the_compound_score() -> None:
    compound = sentiment_module._analyser().polarity_scores("I love it")["compound"]
    assert sentiment("I love it") == pytest.approx((compound + 1) / 2)


@pytest.mark.parametrize(
    "text",
    [
        "This is a terrible experience and I'm miserable.",
        "honestly so frustrated, lost a whole afternoon of work and really disappointed",
    ],
)
def test_upset_messages_fall_below_the_threshold(text: str) -> None:
    assert 0 <= sentiment(text) < 0.3


@pytest.mark.parametrize(
    "text",
    ["Thanks so much, that worked perfectly!", "Great app, my team loves the boards :)"],
)
def test_happy_messages_are_high(text: str) -> None:
    assert 0.7 < sentiment(text) <= 1


def test_emphasis_strengthens_the_feeling() -> None:
    assert sentiment("This is bad!!!") < sentiment("This is bad")


def test_the_analyser_is_created_once() -> None:
    assert sentiment_module._analyser() is sentiment_module._analyser()


def test_only_the_opening_of_a_very_long_text_is_scored() -> None:
    opening = "This is awful and I hate it. " * 10
    filler = "The export is a CSV file. " * 2000
    assert sentiment(opening + filler) == sentiment(
        (opening + filler)[: sentiment_module.MAX_CHARS]
    )
    assert sentiment(opening + filler) < 0.3
