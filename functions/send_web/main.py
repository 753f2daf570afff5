"""send-web: a web_form ``reply.ready`` CloudEvent → the reply shows as delivered on the status page."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event
from starlette.exceptions import HTTPException

from events.envelope import InvalidEvent
from shared.channels.web import deliver_web_reply


@cloud_event
async def send_web(event: CloudEvent) -> None:
    try:
        await deliver_web_reply(event)
    except InvalidEvent as exc:
        raise HTTPException(400, str(exc)) from exc
