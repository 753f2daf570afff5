"""How every CloudEvent function answers Knative's delivery.

2xx once the effect is committed; 400 for an event that can never succeed, so it goes straight
to the dead letter instead of through the retries: one that does not validate, or whose content
Postgres refuses (a data exception, SQLSTATE class 22, or text UTF-8 cannot encode); 5xx (any
other exception) to be retried. Never later
than HANDLER_TIMEOUT_SECONDS, which stays below the delivery timeout of the manifests, so a slow
handler is retried rather than left running while a second attempt starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from cloudevents.http import CloudEvent
from starlette.exceptions import HTTPException

from events.envelope import InvalidEvent
from events.http import percent_decoded
from shared.config import get_settings
from shared.metrics import counts_events


@counts_events
async def consume(event: CloudEvent, handle: Callable[[CloudEvent], Awaitable[object]]) -> None:
    """Run ``handle`` on the event as delivered (binary-mode attributes percent-decoded)."""
    try:
        async with asyncio.timeout(get_settings().handler_timeout_seconds):
            await handle(percent_decoded(event))
    except InvalidEvent as exc:
        raise HTTPException(400, str(exc)) from exc
    except Exception as exc:
        refused = _content_refused(exc)
        if refused is None:
            raise
        reason = f"the event's content cannot be stored ({type(refused).__name__})"
        raise HTTPException(400, reason) from exc  # the reason, never the content


def _content_refused(exc: BaseException) -> BaseException | None:
    """The data exception in ``exc``'s chain, if any (the agent's tools wrap what they raise)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, asyncpg.DataError | UnicodeError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
