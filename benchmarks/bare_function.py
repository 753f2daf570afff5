"""The baseline: a functions-framework async HTTP function that does nothing but answer."""

from __future__ import annotations

from functions_framework.aio import http
from starlette.requests import Request
from starlette.responses import JSONResponse


@http
async def bare(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True}, status_code=202)
