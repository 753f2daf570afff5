"""intake-web-form: POST /api/v1/support/form → ticket number now, the agent's answer later."""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.http_api import BadRequest, read_json
from shared.intake.submit import submit_form
from shared.intake.web_form import SupportForm


@http
async def intake_web_form(request: Request) -> JSONResponse:
    """Validate, publish ``message.received`` with acks=all, then answer 202 with the receipt."""
    try:
        if request.method != "POST":
            raise BadRequest(405, "use POST")
        form = await read_json(request, SupportForm)
    except BadRequest as exc:
        return exc.response()
    receipt = await submit_form(form)
    return JSONResponse(receipt.model_dump(), status_code=202)
