"""gmail-watch: on every ping (a daily PingSource), renew Gmail's push watch on the mailbox."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from events import catalog
from events.envelope import InvalidEvent
from shared.channels.gmail_api import gmail
from shared.channels.gmail_watch import renew_watch
from shared.config import get_settings
from shared.consumer import consume
from shared.observed import observed_event


async def _on_ping(event: CloudEvent) -> None:
    if event["type"] != catalog.PING:
        raise InvalidEvent(f"gmail-watch handles {catalog.PING}, not {event['type']}")
    await renew_watch(gmail(), get_settings())


@cloud_event
@observed_event
async def gmail_watch(event: CloudEvent) -> None:
    await consume(event, _on_ping)
