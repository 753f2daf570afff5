"""The reply as each channel wants it: email with greeting and signature, WhatsApp short and split."""

from __future__ import annotations

import re
import textwrap

SIGNATURE = "— The Northwind Cloud support team"
WHATSAPP_LIMIT = 1600


def _first_name(name: str | None) -> str:
    return (name or "").strip().split(" ")[0] or "there"


_SENTENCE_END = re.compile(r"(?<=[.!?…])(?<!\d\.)(\s+)")  # "2. Open…" is no sentence end


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as pieces no longer than ``limit``: whole, or whole sentences packed together
    (with the spacing they had), a sentence over the limit cut on words."""
    if len(paragraph) <= limit:
        return [paragraph]
    split = _SENTENCE_END.split(paragraph)
    sentences = list(zip(split[::2], [*split[1::2], ""], strict=True))
    pieces: list[str] = []
    current, gap = "", ""
    for sentence, after in sentences:
        for chunk in [sentence] if len(sentence) <= limit else textwrap.wrap(sentence, limit):
            candidate = f"{current}{gap}{chunk}" if current else chunk
            if len(candidate) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = chunk
            gap = " "
        gap = after
    if current:
        pieces.append(current)
    return pieces


def split_message(text: str, limit: int) -> list[str]:
    """Split on paragraph, then sentence, then word boundaries so every part fits in ``limit``."""
    parts: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        for n, piece in enumerate(_pieces(paragraph, limit)):
            joiner = "\n\n" if n == 0 else " "
            candidate = f"{current}{joiner}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts or [""]


def format_reply(channel: str, body: str, *, customer_name: str | None, limit: int) -> list[str]:
    """The reply's parts for ``channel``; only WhatsApp ever has more than one."""
    body = body.strip()
    if channel == "email":
        greeting = f"Hi {_first_name(customer_name)},\n\n"
        closing = f"\n\n{SIGNATURE}"
        return [greeting + body[: max(0, limit - len(greeting) - len(closing))] + closing]
    if channel == "whatsapp":
        return split_message(body, min(limit, WHATSAPP_LIMIT))
    return [body[:limit]]
