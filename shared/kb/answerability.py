"""Whether a passage can answer what a customer asks about, not only whether it is on topic.

Cosine similarity measures topic, not answer. "Do you offer GPU instances?" is close to the
docs' instance sizes and "Do you deliver to Dublin?" to the delivery areas, though neither
passage says a word about GPUs or Dublin; a passage that answers such a question names the
thing asked about. So, for the questions that ask *whether* something exists, is offered or
works with something else:

* ``asked_about(text, rules)``: the words that name what those questions ask about. A question
  is a sentence that ends with "?"; it asks whether when one of the configuration's ``cues``
  ("do you offer", "is there a", "does it work with") opens it, that is, no question word comes
  before the cue ("Which days can you deliver to Belfast?" asks which days, and presumes the
  delivery). The words asked about are those after the cue up to the first ``boundary`` (a
  comma, "for", "to", "when", a pronoun that opens a clause), less the ``ignored`` words
  (articles, quantifiers); none when the phrase's head is a ``placeholder`` ("is there a
  self-service way to …" asks how, "is there a person who …" who, "a monthly limit" how much).
* ``unmentioned(terms, text)``: the terms a passage's title and text do not contain. Words
  are compared folded: case, a plural or possessive ending, and hyphenation aside ("GPUs" is
  "gpu"; "halal-certified" needs "halal" and "certified").

The configuration is the ``answerability:`` section of escalation-rules.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W_](?:[\w'.+-]*[^\W_])?")
_PART = re.compile(r"[-/]")
_ACRONYM_PLURAL = re.compile(r"[A-Z][A-Z0-9]+s")


def _pattern(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None


class AnswerabilityRules(BaseModel):
    """The ``answerability:`` section of the rules file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: what opens a question that asks whether something exists or works with something
    cues: tuple[re.Pattern[str], ...] = Field(min_length=1)
    #: a question word before the cue makes the question ask something else
    question_words: re.Pattern[str]
    #: where the words asked about end
    boundaries: re.Pattern[str]
    #: words that never name the thing asked about (articles, quantifiers, possessives)
    ignored: frozenset[str]
    #: heads of a phrase that asks how, who or how long instead ("a way", "a person", "a limit")
    placeholders: frozenset[str]

    @field_validator("cues", mode="before")
    @classmethod
    def _cues(cls, value: Any) -> Any:
        return tuple(_pattern(v) for v in value) if isinstance(value, list | tuple) else value

    @field_validator("question_words", "boundaries", mode="before")
    @classmethod
    def _one(cls, value: Any) -> Any:
        return _pattern(value)

    @field_validator("ignored", "placeholders", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        """A folded string of words in the YAML, one set here."""
        return frozenset(value.lower().split()) if isinstance(value, str) else value


def fold(word: str) -> str:
    """A word as it is compared: lower case, without a possessive or plural ending."""
    word = word.strip(".'")
    if _ACRONYM_PLURAL.fullmatch(word):  # GPUs, APIs
        return word[:-1].lower()
    word = word.lower()
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def asked_about(text: str, rules: AnswerabilityRules) -> tuple[str, ...]:
    """The words naming what the message's yes/no questions ask about, in order, each once."""
    terms: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence.endswith("?"):
            continue
        for cue in rules.cues:
            for match in cue.finditer(sentence):
                if rules.question_words.search(sentence[: match.start()]):
                    continue
                rest = sentence[match.end() :]
                end = rules.boundaries.search(rest)
                terms.extend(_words(rest[: end.start()] if end else rest, rules))
    return tuple(dict.fromkeys(terms))


def _words(phrase: str, rules: AnswerabilityRules) -> list[str]:
    """The phrase's words less the ignored ones; none if its head is a placeholder."""
    words = [w for w in _WORD.findall(phrase) if fold(w) not in rules.ignored]
    if words and fold(words[-1]) in rules.placeholders:
        return []
    return words


def mentioned_words(text: str) -> frozenset[str]:
    """Every folded word of ``text``, and each part of its hyphenated words."""
    words = set()
    for word in _WORD.findall(text):
        words.add(fold(word))
        words.update(fold(part) for part in _PART.split(word) if part)
    return frozenset(words)


def unmentioned(terms: Iterable[str], text: str) -> tuple[str, ...]:
    """The terms that ``text`` does not contain (a hyphenated term needs each of its parts)."""
    terms = tuple(terms)
    if not terms:
        return ()
    words = mentioned_words(text)
    return tuple(
        term
        for term in terms
        if fold(term) not in words
        and not all(fold(part) in words for part in _PART.split(term) if part)
    )
