"""The channel senders, and the claim each takes on the replies it delivers."""

from __future__ import annotations

from typing import Final

#: A sender's claim on a ``reply.ready`` (its ``processed_events`` consumer name).
SENDERS: Final[dict[str, str]] = {
    "web_form": "send-web",
    "email": "send-email",
    "whatsapp": "send-whatsapp",
}


def sender_of(channel: str) -> str:
    return SENDERS[channel]
