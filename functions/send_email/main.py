"""send-email: an email ``reply.ready`` CloudEvent → the reply sent in the customer's Gmail thread."""

from __future__ import annotations

from cloudevents.http import CloudEvent
from functions_framework.aio import cloud_event

from shared.channels.email import deliver_email_reply
from shared.consumer import consume
from shared.observed import observed_event


@cloud_event
@observed_event
async def send_email(event: CloudEvent) -> None:
    await consume(event, deliver_email_reply)
