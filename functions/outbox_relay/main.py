"""outbox-relay: on every ping (a PingSource), publish what the outbox still holds and
re-publish, with the same id, every accepted message or reply nobody handled in time."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from events import catalog
from events.envelope import InvalidEvent
from shared.consumer import consume
from shared.observed import observed_event
from shared.relay import sweep


async def _on_ping(event: CloudEvent) -> None:
    if event["type"] != catalog.PING:
        raise InvalidEvent(f"outbox-relay handles {catalog.PING}, not {event['type']}")
    await sweep()


@cloud_event
@observed_event
async def outbox_relay(event: CloudEvent) -> None:
    await consume(event, _on_ping)
