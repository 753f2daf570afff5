"""What the customer reads when asked for a rating or thanked for one, and what counts as one."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlencode

LOWEST, HIGHEST = 1, 5
#: Where a page-made rating may say it came from: the status page, or the link in an email.
PAGE_CHANNELS: Final = ("web_form", "email")
_DIGIT = re.compile(rf"^[{LOWEST}-{HIGHEST}]$")


def request_text(channel: str, ticket_number: str) -> str:
    """The question, in the words of ``channel`` (email's link is added by its sender)."""
    resolved = f"We have resolved your request {ticket_number}. How did we do?"
    if channel == "whatsapp":
        return f"{resolved} Reply with a number 1 to 5 (5 is best)."
    return f"{resolved} Rate our help from 1 (poor) to 5 (excellent) at the link below."


def thanks_text(ticket_number: str, score: int) -> str:
    return f"Thank you for rating {ticket_number}: {score} out of {HIGHEST}."


def rating_url(ticket_number: str, token: str, channel: str, base_url: str = "") -> str:
    """The status page of the ticket, opened at its rating, saying where the link was found.
    The token is in the fragment: no server log or Referer sees it."""
    query = urlencode({"ticket": ticket_number, "rate": channel})
    return f"{base_url}/?{query}#{urlencode({'token': token})}"


def score_in_reply(body: str) -> int | None:
    """The score a reply that is just one digit from 1 to 5 gives; None for anything else."""
    text = body.strip()
    return int(text) if _DIGIT.match(text) else None
