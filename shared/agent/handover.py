"""What the customer is told when a person takes over, per reason (brand-voice.md, escalation-rules.md)."""

from __future__ import annotations

from typing import Final

_DEFAULT: Final = (
    "Thanks for your message. A member of our support team will take it from here and reply "
    "to you personally, usually within one business day."
)

HANDOVER: Final[dict[str, str]] = {
    "pricing_inquiry": (
        "Thanks for asking about plans and pricing. A member of our team will follow up with the "
        "details that fit your account."
    ),
    "refund_request": (
        "Thanks for letting us know. A member of our billing team will review your request and "
        "reply to you personally."
    ),
    "legal": (
        "Thank you for your message. We've passed it to the right team, who will reply to you "
        "directly."
    ),
    "human_requested": "Of course. A member of our support team will pick this up and reply to you.",
    "profanity": (
        "We're sorry this has been frustrating. A member of our team will look into it and get "
        "back to you."
    ),
    "shouting": (
        "We're sorry this has been frustrating. A member of our team will look into it and get "
        "back to you."
    ),
    "negative_sentiment": (
        "We're sorry this has been such a hassle. A member of our team will look into it personally "
        "and get back to you."
    ),
    "kb_miss": (
        "Thanks for your question. We want to get this right, so a member of our team will look "
        "into it and reply to you."
    ),
}


#: When we could not handle a message at all (dead-lettered, or the model did not answer in time).
APOLOGY: Final = (
    "We're sorry: something went wrong on our side while handling your message. It is saved, "
    "and a member of our team will pick it up and answer you personally."
)


def handover_message(reason: str) -> str:
    return HANDOVER.get(reason, _DEFAULT)
