"""agent-runner: a ``message.received`` CloudEvent in, the agent's turn, ``reply.ready`` out."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from shared.agent.runner import handle_message
from shared.consumer import consume
from shared.kb.embeddings import warm_up_in_each_worker
from shared.observed import observed_event

warm_up_in_each_worker()  # the worker loads the model while the first event is on its way


@cloud_event
@observed_event
async def agent_runner(event: CloudEvent) -> None:
    """2xx only once the effect is committed; 400 for an event that can never succeed."""
    await consume(event, handle_message)
