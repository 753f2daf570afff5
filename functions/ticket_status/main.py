"""ticket-status: GET /api/v1/tickets/{ticket_number} with the ticket's access token."""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.http_api import bearer_or_query_token, method_not_allowed
from shared.ticket_status import ticket_view

NOT_FOUND = {"detail": "no ticket with that number for this token"}


@http
async def ticket_status(request: Request) -> JSONResponse:
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD").response()
    ticket_number = request.url.path.rstrip("/").rsplit("/", 1)[-1].upper()
    view = await ticket_view(ticket_number, bearer_or_query_token(request))
    if view is None:
        return JSONResponse(NOT_FOUND, status_code=404)
    return JSONResponse(view, headers={"cache-control": "no-store"})
