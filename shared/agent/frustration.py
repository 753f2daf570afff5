"""How upset a customer is *at the company*, on a 0..1 scale, with every signal that counted.

A general-purpose sentiment lexicon reads the vocabulary of support as anger: "error",
"failed", "denied", "kill switch", "dead plug" all score as strongly negative, so calm technical
reports used to be handed over while an angry customer writing in calm sentence case ("every
hour costs us real money; I expect this restored today or we dispute the charge") scored as
neutral. Frustration is therefore the sum of explainable signals:

* ``tone``: VADER's compound score on the text, with the technical words of the configuration
  neutral (absent from the lexicon), counted only when negative: ``-compound * tone_weight``;
* one signal per cue of the configuration (a demand, a deadline, money being lost, a threat to
  leave or to dispute a charge, an indignant question, exasperation), each counted once;
* ``caps``: words written in capitals for emphasis ("I said TODAY"), short of shouting;
* ``punctuation``: "!!", "?!", "???".

The score is the sum, capped at 1. The configuration (``frustration:`` in escalation-rules.yaml)
holds the threshold, the weights, the cues and the neutral words; ``signals`` names what counted,
and it is what ``agent_metrics.frustration_signals`` stores, so every decision can be read back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from shared.agent.sentiment import MAX_CHARS

_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
_REPEATED_PUNCTUATION = re.compile(r"[!?]{2,}")


def _compile(patterns: Any) -> Any:
    if not isinstance(patterns, list | tuple):
        return patterns
    compiled: list[re.Pattern[str]] = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ValueError(f"pattern {pattern!r} is not a string")
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return tuple(compiled)


class Cue(BaseModel):
    """One signal of anger, urgency or threat: any of its patterns is enough, counted once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signal: str = Field(pattern=r"^[a-z_]+$")
    weight: float = Field(gt=0, le=1)
    patterns: tuple[re.Pattern[str], ...] = Field(min_length=1)

    _compile_patterns = field_validator("patterns", mode="before")(_compile)


class FrustrationRules(BaseModel):
    """The ``frustration:`` section of the rules file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(gt=0, le=1)
    tone_weight: float = Field(ge=0, le=1)
    neutral_words: frozenset[str]
    caps_weight: float = Field(ge=0, le=1)
    caps_min_words: int = Field(ge=1)
    punctuation_weight: float = Field(ge=0, le=1)
    cues: tuple[Cue, ...]

    @field_validator("neutral_words", mode="before")
    @classmethod
    def _words(cls, value: Any) -> Any:
        """A folded string of words in the YAML, one set here."""
        return frozenset(value.lower().split()) if isinstance(value, str) else value


@dataclass(frozen=True)
class Frustration:
    score: float
    signals: dict[str, float] = field(default_factory=dict)  # signal -> what it added

    def explain(self) -> str:
        return ", ".join(f"{name} {value:.2f}" for name, value in self.signals.items()) or "none"


def frustration(text: str, rules: FrustrationRules) -> Frustration:
    """The frustration of one message (subject and body), with the signals that made it."""
    text = text[:MAX_CHARS]
    signals: dict[str, float] = {}
    compound = float(_analyser(rules.neutral_words).polarity_scores(text)["compound"])
    if compound < 0 and rules.tone_weight:
        signals["tone"] = round(-compound * rules.tone_weight, 3)
    for cue in rules.cues:
        if any(pattern.search(text) for pattern in cue.patterns):
            signals[cue.signal] = signals.get(cue.signal, 0.0) + cue.weight
    if len(_CAPS_WORD.findall(text)) >= rules.caps_min_words and rules.caps_weight:
        signals["caps"] = rules.caps_weight
    if _REPEATED_PUNCTUATION.search(text) and rules.punctuation_weight:
        signals["punctuation"] = rules.punctuation_weight
    return Frustration(round(min(1.0, sum(signals.values())), 3), signals)


@lru_cache(maxsize=4)
def _analyser(neutral_words: frozenset[str]) -> SentimentIntensityAnalyzer:
    """VADER with the technical words taken out of its lexicon; built once per word set."""
    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon = {
        word: value for word, value in analyser.lexicon.items() if word not in neutral_words
    }
    return analyser
