"""The question sentences a search also ranks passages by (shared/kb/questions.py)."""

from __future__ import annotations

from shared.kb.questions import MAX_QUESTIONS, question_sentences


def test_the_question_is_picked_out_of_its_context() -> None:
    text = (
        "Thanks for sorting out my invoice address last week. "
        "Something else: can I export my contacts to a spreadsheet?"
    )
    assert question_sentences(text) == [
        "Something else: can I export my contacts to a spreadsheet?"
    ]


def test_a_message_of_one_sentence_or_without_a_question_has_none() -> None:
    assert question_sentences("How do I change the colour of my avatar?") == []
    assert question_sentences("The sync stopped. It says offline since noon.") == []


def test_short_questions_say_too_little_to_rank_by() -> None:
    text = "The calendar view shows last month only. Any idea? Why is that?"
    assert question_sentences(text) == []


def test_lines_are_sentences_and_repeats_count_once() -> None:
    text = (
        "Export problem\nWhere are exports kept after a week?\nWhere are exports kept after a week?"
    )
    assert question_sentences(text) == ["Where are exports kept after a week?"]


def test_at_most_a_few_questions() -> None:
    text = " ".join(f"Does feature number {n} work offline?" for n in range(MAX_QUESTIONS + 2))
    found = question_sentences(text)
    assert len(found) == MAX_QUESTIONS
    assert found[0] == "Does feature number 0 work offline?"
