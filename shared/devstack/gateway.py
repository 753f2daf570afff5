"""Routes requests as the HTTPRoute in knative/ says: the API to its functions, the page to web-page.

A request no rule matches gets what a Gateway would answer, a 404, or a 405 listing the methods
the rules have for its path.

Limits come before memory: a request target over 2,048 bytes, a control character in the path
or query, or a declared body over the API's limit is refused before anything is read; a body
without a length is streamed to the backend and cut at the limit. uvicorn bounds the headers
(``h11_max_incomplete_event_size``) and idle keep-alive; ``_DeadlineH11`` adds the deadline on
receiving a request that uvicorn lacks (its keep-alive timer restarts on every byte).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
from collections.abc import AsyncIterator, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import unquote_to_bytes

import h11
import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from shared import logs
from shared.devstack.activity import of_this_process
from shared.devstack.manifests import (
    Cors,
    HeaderModifier,
    Manifests,
    RouteMatch,
    RouteRule,
    load,
)
from shared.http_api import MAX_BODY_BYTES

MAX_TARGET_BYTES = 2048
MAX_HEADER_BYTES = 16 * 1024
RECEIPT_SECONDS = 10.0  # from the first byte of a request to the last of its body
KEEP_ALIVE_SECONDS = 5
MAX_CONNECTIONS = 1000
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length"}
NOT_RETURNED = HOP_BY_HOP | {"server", "date"}  # uvicorn writes its own, once
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_API_HEADERS = {"x-content-type-options": "nosniff", "cache-control": "no-store"}


class BodyTooLarge(Exception):
    """The body went past ``MAX_BODY_BYTES`` while it was being streamed."""


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


def allowed_methods(rules: list[RouteRule], path: str) -> list[str]:
    """The methods of the matches whose path fits: what a 405's ``Allow`` lists."""
    methods = {m.method for r in rules for m in r.matches if m.method and _path_matches(m, path)}
    return sorted(methods)


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


def _problem(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The gateway's own answer: JSON, never sniffed, never cached."""
    return JSONResponse(
        {"detail": detail}, status_code=status, headers=_API_HEADERS | dict(headers or {})
    )


def _has_control(raw: bytes) -> bool:
    return _CONTROL.search(unquote_to_bytes(raw).decode("latin-1")) is not None


def _too_large() -> JSONResponse:
    """413, closing the connection: the rest of the body is never read."""
    detail = f"the body is larger than {MAX_BODY_BYTES} bytes"
    return _problem(413, detail, {"connection": "close"})


def refuse_early(raw_path: bytes, query: bytes, headers: Mapping[str, str]) -> Response | None:
    """414, 400 or 413 from the request line and headers alone, before any body is read."""
    if len(raw_path) + len(query) > MAX_TARGET_BYTES:
        return _problem(414, f"the request target is longer than {MAX_TARGET_BYTES} bytes")
    if _has_control(raw_path) or _has_control(query):
        return _problem(400, "the path or query holds a control character")
    declared = headers.get("content-length")
    if declared is not None and not declared.isdigit():
        return _problem(400, "Content-Length is not a number")
    if declared is not None and int(declared) > MAX_BODY_BYTES:
        return _too_large()
    return None


async def _limited(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body as it arrives, raising ``BodyTooLarge`` at the limit: never held whole."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        if chunk:
            yield chunk


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    """The backend's body as it comes (still encoded), its connection released however it ends."""
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    finally:
        await upstream.aclose()


def _modify(headers: MutableHeaders, modifier: HeaderModifier | None) -> None:
    """Apply a rule's ``ResponseHeaderModifier``: remove, then set, then add."""
    if modifier is None:
        return
    for name in modifier.remove:
        del headers[name]
    for name, value in modifier.set:
        headers[name] = value
    for name, value in modifier.add:
        headers.append(name, value)


def _upstream_headers(headers: httpx.Headers) -> dict[str, str]:
    named = {t.strip().lower() for t in headers.get("connection", "").split(",") if t.strip()}
    return {k: v for k, v in headers.items() if k.lower() not in NOT_RETURNED | named}


def _no_cookie_jar() -> CookieJar:
    """A jar that keeps nothing: a backend's ``Set-Cookie`` is for the client who asked, and one
    shared client's jar would send one person's session on everyone's requests."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def create_app(
    rules: list[RouteRule],
    backends: dict[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    client = httpx.AsyncClient(
        timeout=60.0,
        limits=httpx.Limits(max_connections=500),
        transport=transport,
        cookies=_no_cookie_jar(),
    )
    activity = of_this_process()

    async def proxy(request: Request) -> Response:
        path, origin = request.url.path, request.headers.get("origin")
        requested = request.headers.get("access-control-request-method")
        if request.method == "OPTIONS" and origin and requested:
            # As a Gateway's CORS filter: only a rule that matches the OPTIONS request answers it.
            return _preflight(select_rule(rules, "OPTIONS", path), origin)
        rule = select_rule(rules, request.method, path)
        if rule is None:
            return _unrouted(rules, request.method, path)
        with activity.request(rule.backend):
            response = await _forward(request, backends[rule.backend], rule.backend)
        if rule.cors and origin and rule.cors.allows(origin):
            response.headers.update(_cors_headers(rule.cors, origin, preflight=False))
        _modify(response.headers, rule.response_headers)
        return response

    async def _forward(request: Request, base_url: str, backend: str) -> Response:
        target = request.scope["raw_path"].decode("latin-1")
        raw_query: bytes = request.scope["query_string"]
        query = f"?{raw_query.decode('latin-1')}" if raw_query else ""
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        if request.client:  # as a gateway does: the backends see who asked (rate limits)
            hops = [request.headers.get("x-forwarded-for"), request.client.host]
            headers["x-forwarded-for"] = ", ".join(h for h in hops if h)
        try:
            outgoing = client.build_request(
                request.method,
                base_url + target + query,
                headers=headers,
                content=_limited(request.stream()),
            )
            upstream = await client.send(outgoing, stream=True)
        except BodyTooLarge:
            return _too_large()
        except (httpx.InvalidURL, httpx.LocalProtocolError, httpx.UnsupportedProtocol) as exc:
            return _problem(400, f"the request cannot be forwarded: {exc}")
        except httpx.HTTPError:
            return _problem(503, f"{backend} is not reachable")
        return StreamingResponse(
            _relay(upstream),
            status_code=upstream.status_code,
            headers=_upstream_headers(upstream.headers),
            background=BackgroundTask(upstream.aclose),
        )

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await client.aclose()

    return Starlette(
        routes=[Route("/{path:path}", proxy, methods=methods)],
        middleware=[Middleware(_RefuseEarly)],
        lifespan=lifespan,
    )


class _RefuseEarly:
    """Refuses what ``refuse_early`` finds before routing (a path with a newline fits no route)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            refused = refuse_early(scope["raw_path"], scope["query_string"], headers)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _unrouted(rules: list[RouteRule], method: str, path: str) -> Response:
    """405 where a rule has the path but not the method, else 404."""
    allowed = allowed_methods(rules, path)
    if allowed:
        return _problem(405, f"{path} accepts {', '.join(allowed)}", {"allow": ", ".join(allowed)})
    return _problem(404, f"no route for {method} {path}")


def _preflight(rule: RouteRule | None, origin: str) -> Response:
    """Answer a CORS preflight from the matching rule's CORS filter; no filter, no CORS."""
    if rule is None or rule.cors is None or not rule.cors.allows(origin):
        return Response(status_code=403)
    return Response(status_code=204, headers=_cors_headers(rule.cors, origin, preflight=True))


class _DeadlineH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline on receiving each request, headers and body.

    Armed when a connection opens and at the first byte of each request, disarmed once the
    request is whole: a client trickling a byte every few seconds is cut off, a slow answer is not.
    """

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.DONE:
            self._disarm()
        elif self._deadline is None:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(RECEIPT_SECONDS, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def server_config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    """The gateway's uvicorn: bounded headers, connections, idle keep-alive and request receipt."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=_DeadlineH11,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        limit_concurrency=MAX_CONNECTIONS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        log_level="warning",
    )


def app_from_manifests(manifests: Manifests, backends: dict[str, str]) -> Starlette:
    """The gateway as knative/base describes it: its routes."""
    return create_app(manifests.routes, backends)


def main() -> None:
    """Entry point of the gateway process: FTE_BACKENDS (JSON service → URL), HOST, PORT."""
    app = app_from_manifests(load(), json.loads(os.environ["FTE_BACKENDS"]))
    host = os.environ.get("HOST", "127.0.0.1")
    config = server_config(app, host, int(os.environ["PORT"]))
    logs.configure("gateway")  # after uvicorn's own logging set-up, which it replaces
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
