"""ticket-status: the customer's view of a ticket, with the ticket's access token.

GET  /api/v1/tickets/{ticket_number}          the status and the conversation
POST /api/v1/tickets/{ticket_number}/rating   {"score": 1..5, "channel": "web_form"|"email"}
"""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared import throttle
from shared.http_api import BadRequest, bearer_or_query_token, method_not_allowed, read_json
from shared.observed import observed_http
from shared.ratings.receiving import NotRatable, PageRating, rate_on_page
from shared.ticket_status import ticket_view

NOT_FOUND = {"detail": "no ticket with that number for this token"}
RATING = "rating"


@http
@observed_http
async def ticket_status(request: Request) -> JSONResponse:
    path = request.url.path.rstrip("/").split("/")
    rating = path[-1] == RATING
    allowed = ("POST",) if rating else ("GET", "HEAD")
    client = throttle.client_of(request)
    try:
        if request.method not in allowed:
            raise method_not_allowed(*allowed)
        throttle.take("lookups", client, "lookups")
        throttle.check("failed_lookups", client, "failed lookups")
        token, ticket_number = bearer_or_query_token(request), path[-2 if rating else -1].upper()
        if rating:
            score = await read_json(request, PageRating)
            found = await rate_on_page(ticket_number, token, score)
            view = None if found is None else {"rating": found.public()}
        else:
            view = await ticket_view(ticket_number, token)
    except BadRequest as refused:
        return refused.response()
    except NotRatable as refused:
        return JSONResponse({"detail": str(refused)}, status_code=409)
    if view is None:
        throttle.spend("failed_lookups", client)  # guessing tokens gets slow, then 429
        return JSONResponse(NOT_FOUND, status_code=404)
    return JSONResponse(view, headers={"cache-control": "no-store"})
