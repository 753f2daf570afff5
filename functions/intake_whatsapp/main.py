"""intake-whatsapp: Twilio's webhooks for the WhatsApp sender, each signature-checked.

POST /api/v1/webhooks/whatsapp         → 200 with empty TwiML once the message is recorded
POST /api/v1/webhooks/whatsapp/status  → 200 once the reply part's status is recorded
"""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import Response
from twilio.twiml.messaging_response import MessagingResponse

from shared.channels.twilio_signature import SIGNATURE_HEADER, public_url, verify
from shared.channels.whatsapp_status import STATUS_PATH, parse_status, record_status
from shared.config import get_settings
from shared.http_api import BadRequest, method_not_allowed, read_form
from shared.intake.whatsapp import parse_incoming, receive_whatsapp
from shared.observed import observed_http


@http
@observed_http
async def intake_whatsapp(request: Request) -> Response:
    """Refuse what Twilio did not sign (403, nothing recorded); record the rest once."""
    try:
        if request.method != "POST":
            raise method_not_allowed("POST")
        settings = get_settings()
        form = await read_form(request)
        url = public_url(request, settings.public_base_url)
        verify(url, form, request.headers.get(SIGNATURE_HEADER), settings.twilio_auth_token)
        if request.url.path.rstrip("/") == STATUS_PATH:
            await record_status(parse_status(form, request.query_params))
            return Response(status_code=200)
        await receive_whatsapp(parse_incoming(form))
    except BadRequest as exc:
        return exc.response()
    # An empty TwiML answer: the agent's reply comes later, through the Messages API.
    return Response(str(MessagingResponse()), media_type="text/xml")
