"""The question sentences of a customer's message: what the search also ranks passages by.

A message often wraps its question in context ("I got a refund last month, thanks. Different
question now: how long do you keep logs?"), and one embedding of the whole message leans
towards whatever it says most about. So the search also embeds the message's questions, each
on its own, and ranks a passage by the better of its similarity to the whole message and to
its closest question (``knowledge_base.hybrid_search``). Whether any passage is relevant at
all is still judged on the whole message: a question sentence alone ("Any idea?") can be
close to anything.

A question is a sentence that ends with "?" and has at least ``MIN_WORDS`` words. A message
that is one sentence, or that asks no question, has none: its whole text is its question.
"""

from __future__ import annotations

import re

MIN_WORDS = 4
MAX_QUESTIONS = 3

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"\w+")


def question_sentences(text: str) -> list[str]:
    """The message's questions, in order, at most ``MAX_QUESTIONS``; [] if it is only one."""
    sentences = [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]
    if len(sentences) < 2:
        return []
    questions = [s for s in sentences if s.endswith("?") and len(_WORD.findall(s)) >= MIN_WORDS]
    return list(dict.fromkeys(questions))[:MAX_QUESTIONS]
