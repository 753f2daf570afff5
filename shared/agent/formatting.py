"""The reply as each channel wants it: email with greeting and signature, WhatsApp short and split."""

from __future__ import annotations

import textwrap

SIGNATURE = "— The Northwind Cloud support team"
WHATSAPP_LIMIT = 1600


def _first_name(name: str | None) -> str:
    return (name or "").strip().split(" ")[0] or "there"


def split_message(text: str, limit: int) -> list[str]:
    """Split on paragraph, then word boundaries so every part fits in ``limit`` characters."""
    parts: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        pieces = [paragraph] if len(paragraph) <= limit else textwrap.wrap(paragraph, limit)
        for piece in pieces:
            candidate = f"{current}\n\n{piece}" if current else piece
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
