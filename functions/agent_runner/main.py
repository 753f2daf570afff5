"""agent-runner: a ``message.received`` CloudEvent in, the agent's turn, ``reply.ready`` out."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event
from starlette.exceptions import HTTPException

from events.envelope import InvalidEvent
from shared.agent.runner import handle_message


@cloud_event
async def agent_runner(event: CloudEvent) -> None:
    """2xx only once the effect is committed; 400 for an event that can never succeed."""
    try:
        await handle_message(event)
    except InvalidEvent as exc:
        raise HTTPException(400, str(exc)) from exc
