"""Routes ``/api/v1/*`` as the HTTPRoute in knative/ says, and serves the built web form at ``/``."""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from shared.devstack.manifests import Cors, RouteMatch, RouteRule, load

WEB_DIST = Path(__file__).resolve().parents[2] / "web-form" / "dist"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


def _path_matches(match: RouteMatch, path: str) -> bool:
    if match.path_type == "Exact":
        return path == match.path
    if match.path_type == "PathPrefix":
        prefix = match.path.rstrip("/")
        return path == prefix or path.startswith(prefix + "/") or prefix == ""
    return re.fullmatch(match.path, path) is not None


def select_rule(rules: list[RouteRule], method: str, path: str) -> RouteRule | None:
    """Gateway API precedence: exact path, then longest prefix, then a method match, then rule order."""
    candidates: list[tuple[tuple[int, int, int, int], RouteRule]] = []
    for order, rule in enumerate(rules):
        for match in rule.matches:
            if not _path_matches(match, path) or (match.method and match.method != method):
                continue
            rank = (
                0 if match.path_type == "Exact" else 1,
                -len(match.path),
                0 if match.method else 1,
                order,
            )
            candidates.append((rank, rule))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def select_backend(rules: list[RouteRule], method: str, path: str) -> str | None:
    rule = select_rule(rules, method, path)
    return rule.backend if rule else None


def _cors_headers(cors: Cors, origin: str, preflight: bool) -> dict[str, str]:
    headers = {
        "access-control-allow-origin": "*" if "*" in cors.allow_origins else origin,
        "vary": "Origin",
    }
    if preflight:
        headers |= {
            "access-control-allow-methods": ", ".join(cors.allow_methods),
            "access-control-allow-headers": ", ".join(cors.allow_headers),
            "access-control-max-age": str(cors.max_age),
        }
    return headers


def create_app(
    rules: list[RouteRule], backends: dict[str, str], web_dist: Path = WEB_DIST
) -> Starlette:
    client = httpx.AsyncClient(timeout=60.0, limits=httpx.Limits(max_connections=500))

    async def proxy(request: Request) -> Response:
        path, origin = request.url.path, request.headers.get("origin")
        requested = request.headers.get("access-control-request-method")
        if request.method == "OPTIONS" and origin and requested:
            return _preflight(select_rule(rules, requested.upper(), path), origin)
        rule = select_rule(rules, request.method, path)
        if rule is None:
            if path.startswith("/api/"):
                return JSONResponse(
                    {"detail": f"no route for {request.method} {path}"}, status_code=404
                )
            return _static(web_dist, path)
        response = await _forward(request, backends[rule.backend], rule.backend)
        if rule.cors and origin and rule.cors.allows(origin):
            response.headers.update(_cors_headers(rule.cors, origin, preflight=False))
        return response

    async def _forward(request: Request, base_url: str, backend: str) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            upstream = await client.request(
                request.method,
                base_url + request.url.path + query,
                headers=headers,
                content=await request.body(),
            )
        except httpx.HTTPError:
            return JSONResponse({"detail": f"{backend} is not reachable"}, status_code=503)
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        return Response(upstream.content, status_code=upstream.status_code, headers=out_headers)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(routes=[Route("/{path:path}", proxy, methods=methods)], lifespan=lifespan)


def _preflight(rule: RouteRule | None, origin: str) -> Response:
    """Answer a CORS preflight from the matching rule's CORS filter; no filter, no CORS."""
    if rule is None or rule.cors is None or not rule.cors.allows(origin):
        return Response(status_code=403)
    return Response(status_code=204, headers=_cors_headers(rule.cors, origin, preflight=True))


def _static(web_dist: Path, path: str) -> Response:
    if not (web_dist / "index.html").exists():
        return HTMLResponse(
            "<h1>Support form not built</h1><p>Run <code>npm run build</code> in web-form/.</p>",
            status_code=503,
        )
    candidate = (web_dist / path.lstrip("/")).resolve()
    if candidate.is_file() and candidate.is_relative_to(web_dist.resolve()):
        # The embeddable script is a module: browsers fetch it with CORS from other sites.
        return FileResponse(candidate, headers={"access-control-allow-origin": "*"})
    return FileResponse(web_dist / "index.html")


def main() -> None:
    """Entry point of the gateway process: FTE_BACKENDS (JSON service → URL), HOST, PORT."""
    app = create_app(load().routes, json.loads(os.environ["FTE_BACKENDS"]))
    uvicorn.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        log_level="warning",
    )


if __name__ == "__main__":
    main()
