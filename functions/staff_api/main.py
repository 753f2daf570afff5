"""staff-api: the support team's inbox over HTTP, behind a staff session.

POST/GET/DELETE /api/v1/staff/session             sign in (sets the session cookie) / who am I / out
GET  /api/v1/staff/tickets?view=waiting|mine|all   the queue, longest wait first, with SLA clocks
GET  /api/v1/staff/tickets/{number}                the customer's whole history, notes, actions
POST /api/v1/staff/tickets/{number}/replies        answer on the customer's channel (202)
POST /api/v1/staff/tickets/{number}/notes          an internal note (201)
POST /api/v1/staff/tickets/{number}/assign         to oneself, a colleague, or nobody
POST /api/v1/staff/tickets/{number}/resolve|reopen
GET  /api/v1/staff/team                            colleagues to assign to

Every change but signing in needs the session's ``X-CSRF-Token``.
"""

from __future__ import annotations

import re

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared import throttle
from shared.config import get_settings
from shared.http_api import BadRequest, idempotency_key, method_not_allowed, read_json
from shared.observed import observed_http
from shared.staff import inbox
from shared.staff.errors import StaffRefused
from shared.staff.requests import Answer, Assignment, Note, SignIn
from shared.staff.sessions import (
    COOKIE,
    Session,
    check_csrf,
    current,
    sign_in,
    sign_out,
)

PREFIX = "/api/v1/staff"
TICKET = re.compile(rf"^{PREFIX}/tickets/(?P<number>[^/]+)(?:/(?P<verb>[a-z]+))?/?$")
VERBS = ("replies", "notes", "assign", "resolve", "reopen")


@http
@observed_http
async def staff_api(request: Request) -> Response:
    try:
        return await _route(request)
    except BadRequest as exc:
        return exc.response()
    except StaffRefused as refused:
        return JSONResponse(
            {"detail": refused.detail}, status_code=refused.status, headers=refused.headers
        )


async def _route(request: Request) -> Response:
    path, method = request.url.path.rstrip("/"), request.method
    if path == f"{PREFIX}/session":
        return await _session(request)
    session = await current(request.cookies.get(COOKIE))
    if method not in ("GET", "HEAD"):
        check_csrf(session, request.headers.get("x-csrf-token"))
    if path == f"{PREFIX}/tickets":
        _only(method, "GET")
        return JSONResponse(
            await inbox.queue(session.member, request.query_params.get("view", "waiting"))
        )
    if path == f"{PREFIX}/team":
        _only(method, "GET")
        return JSONResponse(await inbox.team())
    match = TICKET.match(path)
    if match is None or (match["verb"] is not None and match["verb"] not in VERBS):
        return JSONResponse({"detail": "not found"}, status_code=404)
    return await _ticket(request, session, match["number"], match["verb"])


async def _ticket(request: Request, session: Session, number: str, verb: str | None) -> Response:
    member = session.member
    if verb is None:
        _only(request.method, "GET")
        return JSONResponse(await inbox.ticket_view(member, number))
    _only(request.method, "POST")
    if verb == "replies":
        answer = await read_json(request, Answer)
        sent = await inbox.answer(member, number, answer.body, idempotency_key(request))
        return JSONResponse(sent, status_code=202)
    if verb == "notes":
        note = await read_json(request, Note)
        return JSONResponse(await inbox.add_note(member, number, note.body, note.private), 201)
    if verb == "assign":
        assignment = await read_json(request, Assignment)
        return JSONResponse(await inbox.assign(member, number, assignment.staff_id))
    return JSONResponse(await inbox.set_resolved(member, number, verb == "resolve"))


async def _session(request: Request) -> Response:
    if request.method == "POST":
        throttle.take("sign_ins", throttle.client_of(request), "sign-in attempts")
        credentials = await read_json(request, SignIn)
        session = await sign_in(credentials.email, credentials.password, get_settings())
        signed_in = JSONResponse(session.public())
        _set_cookie(request, signed_in, session.token)
        return signed_in
    session = await current(request.cookies.get(COOKIE))
    if request.method in ("GET", "HEAD"):
        return JSONResponse(session.public())
    if request.method == "DELETE":
        check_csrf(session, request.headers.get("x-csrf-token"))
        await sign_out(session)
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path=PREFIX)
        return response
    raise method_not_allowed("GET", "POST", "DELETE")


def _set_cookie(request: Request, response: Response, token: str) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site sends it), Secure on TLS."""
    settings = get_settings()
    secure = settings.public_base_url.startswith("https://") or request.url.scheme == "https"
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.staff_session_hours * 3600),
        path=PREFIX,
        httponly=True,
        secure=secure,
        samesite="strict",
    )


def _only(method: str, allowed: str) -> None:
    if method != allowed and not (allowed == "GET" and method == "HEAD"):
        raise method_not_allowed(allowed)
