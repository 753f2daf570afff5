"""Answerability: what a yes/no question asks about, and whether a passage names it."""

from __future__ import annotations

import pytest

from shared.agent.rules import DEFAULT_RULES_PATH, load_rules
from shared.kb.answerability import AnswerabilityRules, asked_about, fold, unmentioned


@pytest.fixture(scope="module")
def rules() -> AnswerabilityRules:
    return load_rules(DEFAULT_RULES_PATH).answerability


@pytest.mark.parametrize(
    ("message", "asked"),
    [
        (
            "Hi! Do you offer a Linux build of the desktop app?",
            ("Linux", "build", "desktop", "app"),
        ),
        ("Is there an Android tablet layout?", ("Android", "tablet", "layout")),
        ("Does Acme Drive integrate with Notion, so that pages sync both ways?", ("Notion",)),
        (
            "Do your scooters work with the Strava app over Bluetooth?",
            ("Strava", "app", "Bluetooth"),
        ),
        ("Do you ship to Reykjavik for a birthday surprise?", ("Reykjavik",)),
        ("Will it run on a Raspberry Pi?", ("Raspberry", "Pi")),
        ("Is the app available in Welsh?", ("Welsh",)),
        ("Are there vegan-friendly options in the bakery range?", ()),
    ],
)
def test_a_yes_no_question_about_a_thing_asks_about_the_words_that_name_it(
    rules: AnswerabilityRules, message: str, asked: tuple[str, ...]
) -> None:
    assert asked_about(message, rules) == asked


@pytest.mark.parametrize(
    "message",
    [
        # a question word before the cue: it asks which or when, and presumes the thing
        "Which days do you deliver to Aberdeen?",
        "When does the app sync with the watch?",
        # a placeholder head asks how, who or how long, not whether
        "Is there a quicker way to archive old boards?",
        "Is there someone on my team who can approve expenses?",
        "Is there a grace period after the trial ends?",
        "Do you have any idea why my export is empty?",
        # not a question, or a question of another kind
        "We would like to know if you offer a Linux build.",
        "How do I export my boards?",
        "Can I rename a board after sharing it?",
    ],
)
def test_other_questions_ask_about_nothing_in_particular(
    rules: AnswerabilityRules, message: str
) -> None:
    assert asked_about(message, rules) == ()


def test_every_question_of_a_message_counts_each_word_once(rules: AnswerabilityRules) -> None:
    message = (
        "Thanks for the quick reply yesterday.\n"
        "Do you sell replacement batteries? And is there a replacement charger?"
    )
    assert asked_about(message, rules) == ("replacement", "batteries", "charger")


def test_a_passage_that_names_the_thing_leaves_nothing_unmentioned() -> None:
    passage = "Desktop app › Supported systems\nThe app runs on Windows, macOS and Linux builds."
    assert unmentioned(("Linux", "build"), passage) == ()


def test_a_passage_close_in_topic_that_does_not_name_the_thing_leaves_it_unmentioned() -> None:
    passage = "Desktop app › Supported systems\nThe app runs on Windows 11 and macOS 13 or later."
    assert unmentioned(("Linux", "build"), passage) == ("Linux", "build")


@pytest.mark.parametrize(
    ("term", "passage"),
    [
        ("GPUs", "Every plan includes a GPU."),  # plural
        ("batteries", "Each battery lasts two years."),  # -ies
        ("switches", "The wall switch stays on."),  # -es
        ("Acme's", "Acme ships weekly."),  # possessive
        ("e-bikes", "Our e-bike range"),  # hyphenated, as written
        ("gluten-free", "Every loaf is gluten free."),  # hyphenated, apart in the passage
    ],
)
def test_words_are_compared_without_case_plural_possessive_or_hyphenation(
    term: str, passage: str
) -> None:
    assert unmentioned((term,), passage) == ()


def test_a_hyphenated_term_needs_each_of_its_parts() -> None:
    assert unmentioned(("kosher-certified",), "Certified organic produce only.") == (
        "kosher-certified",
    )


@pytest.mark.parametrize(
    ("word", "folded"),
    [("Bulbs", "bulb"), ("classes", "class"), ("status", "status"), ("this", "this")],
)
def test_folding_keeps_words_that_only_look_plural(word: str, folded: str) -> None:
    assert fold(word) == folded


def test_the_cues_come_from_the_configuration() -> None:
    configured = AnswerabilityRules.model_validate(
        {
            "cues": [r"\bhave you got\b"],
            "question_words": r"\bwhich\b",
            "boundaries": r"[,?]",
            "ignored": "a an any",
            "placeholders": "way",
        }
    )
    assert asked_about("Have you got any saddlebags?", configured) == ("saddlebags",)
    assert asked_about("Do you offer saddlebags?", configured) == ()
