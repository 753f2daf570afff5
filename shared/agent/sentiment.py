"""How positive a customer's message sounds, on a 0..1 scale (0.5 is neutral).

VADER is a lexicon and rule model: no download, no GPU, well under a millisecond for a
typical message, and it reads the signals support messages carry (negation, "so", "!!!",
emoji).
"""

from __future__ import annotations

from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's time grows with the square of the length (about 25 ms at 5,000 characters, 1.7 s at
# 50,000). The web form and WhatsApp stop below this; a longer e-mail, usually quoted
# history, is judged by its opening.
MAX_CHARS = 5000


@cache
def _analyser() -> SentimentIntensityAnalyzer:
    """Created on first use: loading the lexicon takes tens of milliseconds."""
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score (-1..1) moved to 0..1: (compound + 1) / 2."""
    compound = float(_analyser().polarity_scores(text[:MAX_CHARS])["compound"])
    return (compound + 1.0) / 2.0
