"""intake-web-form: the web channel's intake.

POST /api/v1/support/form                → 202 with the ticket number, the agent's answer later
POST /api/v1/tickets/{number}/messages   → 202, a follow-up on that ticket (needs its token)
"""

from __future__ import annotations

import re

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared import throttle
from shared.http_api import (
    BadRequest,
    bearer_or_query_token,
    idempotency_key,
    method_not_allowed,
    read_json,
)
from shared.intake.submit import submit_follow_up, submit_form
from shared.intake.web_form import FollowUp, Receipt, SupportForm
from shared.observed import observed_http

FOLLOW_UP_PATH = re.compile(r"^/api/v1/tickets/(?P<number>[^/]+)/messages/?$")


@http
@observed_http
async def intake_web_form(request: Request) -> JSONResponse:
    """Validate, commit the message with its event, answer 202 with the receipt (then publish)."""
    try:
        if request.method != "POST":
            raise method_not_allowed("POST")
        receipt = await _receive(request)
    except BadRequest as exc:
        return exc.response()
    return JSONResponse(receipt.model_dump(), status_code=202)


async def _receive(request: Request) -> Receipt:
    key = idempotency_key(request)
    follow_up = FOLLOW_UP_PATH.match(request.url.path)
    if follow_up:
        number = follow_up["number"].upper()
        throttle.take("follow_ups", number, "messages on this ticket")
        message = await read_json(request, FollowUp)
        return await submit_follow_up(number, bearer_or_query_token(request), message, key)
    throttle.take("forms", throttle.client_of(request), "new tickets from your address")
    return await submit_form(await read_json(request, SupportForm), key)
