"""intake-gmail: the email channel's intake, a Pub/Sub push endpoint.

POST /api/v1/webhooks/gmail   → 200 once the new mail is recorded (Pub/Sub redelivers otherwise)
"""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.channels.gmail_api import GmailRefused, GmailUnavailable, NotConfigured
from shared.channels.gmail_push import PushRefused
from shared.config import get_settings
from shared.http_api import BadRequest, method_not_allowed, read_body
from shared.intake.email import receive_push
from shared.observed import observed_http


@http
@observed_http
async def intake_gmail(request: Request) -> JSONResponse:
    """Verify the push, read the mailbox up to it, answer 200 with what was found."""
    try:
        if request.method != "POST":
            raise method_not_allowed("POST")
        body = await read_body(request)
        synced = await receive_push(request.headers.get("authorization"), body, get_settings())
    except BadRequest as exc:
        return exc.response()
    except PushRefused as refused:
        return JSONResponse({"detail": refused.reason}, status_code=refused.status)
    except (GmailUnavailable, GmailRefused, NotConfigured) as exc:
        return JSONResponse({"detail": str(exc)}, status_code=503)  # delivered again later
    return JSONResponse(synced.summary())
