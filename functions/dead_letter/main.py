"""dead-letter: events that exhausted their retries → recorded, replayable, and the customer hears from us."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from shared.apology import handle_dead_letter
from shared.consumer import consume
from shared.observed import observed_event


@cloud_event
@observed_event
async def dead_letter(event: CloudEvent) -> None:
    await consume(event, handle_dead_letter)
