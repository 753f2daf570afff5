"""The names on the wire: Kafka topics, CloudEvent types and sources. Nothing else spells them."""

from __future__ import annotations

from typing import Final

TOPIC_INCOMING: Final = "fte.tickets.incoming"
TOPIC_OUTGOING: Final = "fte.tickets.outgoing"
TOPIC_DLQ: Final = "fte.tickets.dlq"

MESSAGE_RECEIVED: Final = "io.digitalfte.support.message.received"
REPLY_READY: Final = "io.digitalfte.support.reply.ready"
ESCALATED: Final = "io.digitalfte.support.ticket.escalated"
PING: Final = "dev.knative.sources.ping"  # what a Knative PingSource sends

#: Where each of our event types is published (a replay puts it back there).
TOPIC_OF: Final[dict[str, str]] = {
    MESSAGE_RECEIVED: TOPIC_INCOMING,
    REPLY_READY: TOPIC_OUTGOING,
    ESCALATED: TOPIC_OUTGOING,
}

SOURCE_PREFIX: Final = "/digital-fte/functions/"


def source_of(function: str) -> str:
    """The CloudEvent ``source`` of everything a function emits, e.g. ``/digital-fte/functions/agent-runner``."""
    return SOURCE_PREFIX + function
