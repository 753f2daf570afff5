"""send-web: a web_form ``reply.ready`` CloudEvent → the reply shows as delivered on the status page."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from shared.channels.web import deliver_web_reply
from shared.consumer import consume
from shared.observed import observed_event


@cloud_event
@observed_event
async def send_web(event: CloudEvent) -> None:
    await consume(event, deliver_web_reply)
