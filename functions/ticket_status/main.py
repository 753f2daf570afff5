"""ticket-status: GET /api/v1/tickets/{ticket_number} with the ticket's access token."""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared import throttle
from shared.http_api import BadRequest, bearer_or_query_token, method_not_allowed
from shared.observed import observed_http
from shared.ticket_status import ticket_view

NOT_FOUND = {"detail": "no ticket with that number for this token"}


@http
@observed_http
async def ticket_status(request: Request) -> JSONResponse:
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD").response()
    client = throttle.client_of(request)
    try:
        throttle.take("lookups", client, "lookups")
        throttle.check("failed_lookups", client, "failed lookups")
    except BadRequest as refused:
        return refused.response()
    ticket_number = request.url.path.rstrip("/").rsplit("/", 1)[-1].upper()
    view = await ticket_view(ticket_number, bearer_or_query_token(request))
    if view is None:
        throttle.spend("failed_lookups", client)  # guessing tokens gets slow, then 429
        return JSONResponse(NOT_FOUND, status_code=404)
    return JSONResponse(view, headers={"cache-control": "no-store"})
