"""web-page: GET / and every page path: the built web form, with its security headers."""

from __future__ import annotations

import os

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.http_api import method_not_allowed
from shared.observed import observed_http
from shared.web_page import page_response, page_security_headers, web_dist


@http
@observed_http
async def web_page(request: Request) -> Response:
    path = request.url.path
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD").response()
    if path.startswith("/api/"):  # an API path no rule routes (another method's, say)
        return JSONResponse({"detail": f"no route for {request.method} {path}"}, status_code=404)
    page = page_security_headers(os.environ.get("PAGE_FRAME_ANCESTORS", "'self'"))
    return page_response(web_dist(), path, page)
