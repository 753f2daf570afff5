"""ops: GET /api/v1/health — 200 when the database and the broker answer, 503 when one does not."""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.health import health
from shared.http_api import method_not_allowed
from shared.observed import observed_http


@http
@observed_http
async def ops(request: Request) -> JSONResponse:
    if request.url.path.rstrip("/") != "/api/v1/health":
        return JSONResponse({"detail": "not found"}, status_code=404)
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD").response()
    healthy, body = await health()
    return JSONResponse(
        body, status_code=200 if healthy else 503, headers={"cache-control": "no-store"}
    )
