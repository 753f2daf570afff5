"""send-whatsapp: a whatsapp ``reply.ready`` CloudEvent → its parts sent through Twilio, once."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from shared.channels.whatsapp import deliver_whatsapp_reply
from shared.consumer import consume
from shared.observed import observed_event


@cloud_event
@observed_event
async def send_whatsapp(event: CloudEvent) -> None:
    await consume(event, deliver_whatsapp_reply)
