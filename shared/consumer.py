"""How every CloudEvent function answers Knative's delivery.

2xx once the effect is committed; 400 for an event that can never succeed, so it goes straight
to the dead letter instead of through the retries; 5xx (an exception) to be retried. Never later
than HANDLER_TIMEOUT_SECONDS, which stays below the delivery timeout of the manifests, so a slow
handler is retried rather than left running while a second attempt starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from cloudevents.http import CloudEvent
from starlette.exceptions import HTTPException

from events.envelope import InvalidEvent
from events.http import percent_decoded
from shared.config import get_settings


async def consume(event: CloudEvent, handle: Callable[[CloudEvent], Awaitable[object]]) -> None:
    """Run ``handle`` on the event as delivered (binary-mode attributes percent-decoded)."""
    try:
        async with asyncio.timeout(get_settings().handler_timeout_seconds):
            await handle(percent_decoded(event))
    except InvalidEvent as exc:
        raise HTTPException(400, str(exc)) from exc
