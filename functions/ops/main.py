"""ops: the operators' read side.

GET /api/v1/health                        200 when the database and the broker answer, 503 if not
GET /api/v1/metrics/channels?since=24h    per channel over the window (ISO-8601 time or 90s/30m/24h/7d)
"""

from __future__ import annotations

from datetime import UTC, datetime

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse

from shared.channel_metrics import channel_report, parse_since
from shared.db import get_pool
from shared.health import health
from shared.http_api import BadRequest, method_not_allowed
from shared.observed import observed_http

NO_STORE = {"cache-control": "no-store"}


@http
@observed_http
async def ops(request: Request) -> JSONResponse:
    path = request.url.path.rstrip("/")
    if path not in ("/api/v1/health", "/api/v1/metrics/channels"):
        return JSONResponse({"detail": "not found"}, status_code=404)
    if request.method not in ("GET", "HEAD"):
        return method_not_allowed("GET", "HEAD").response()
    if path == "/api/v1/health":
        healthy, body = await health()
        return JSONResponse(body, status_code=200 if healthy else 503, headers=NO_STORE)
    now = datetime.now(UTC)
    try:
        since = parse_since(request.query_params.get("since"), now)
    except BadRequest as exc:
        return exc.response()
    return JSONResponse(await channel_report(await get_pool(), since, now), headers=NO_STORE)
