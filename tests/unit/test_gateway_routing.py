from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.devstack.gateway import (
    _modify,
    allowed_methods,
    create_app,
    select_backend,
    select_rule,
)
from shared.devstack.manifests import HeaderModifier, RouteMatch, RouteRule, load
from shared.http_api import MAX_BODY_BYTES

RULES = load().routes


@pytest.mark.parametrize(
    ("method", "path", "backend"),
    [
        ("POST", "/api/v1/support/form", "intake-web-form"),
        ("GET", "/api/v1/tickets/TKT-0001", "ticket-status"),
        ("POST", "/api/v1/tickets/TKT-0001/rating", "ticket-status"),
        ("POST", "/api/v1/tickets/TKT-0001/messages", "intake-web-form"),
        ("GET", "/api/v1/health", "ops"),
    ],
)
def test_api_paths_route_as_the_httproute_says(method: str, path: str, backend: str) -> None:
    assert select_backend(RULES, method, path) == backend


def test_a_method_the_route_does_not_allow_finds_no_backend() -> None:
    assert select_backend(RULES, "GET", "/api/v1/support/form") is None


def test_prefix_matches_whole_segments_only() -> None:
    assert select_backend(RULES, "GET", "/api/v1/ticketsfoo") is None


def test_exact_beats_prefix_and_longer_prefix_beats_shorter() -> None:
    rules = [
        RouteRule([RouteMatch("PathPrefix", "/api", None)], "a"),
        RouteRule([RouteMatch("PathPrefix", "/api/v1", None)], "b"),
        RouteRule([RouteMatch("Exact", "/api/v1/x", None)], "c"),
    ]
    assert select_backend(rules, "GET", "/api/v2") == "a"
    assert select_backend(rules, "GET", "/api/v1/y") == "b"
    assert select_backend(rules, "GET", "/api/v1/x") == "c"


@pytest.fixture
async def gateway() -> AsyncIterator[httpx.AsyncClient]:
    backends = {name: "http://127.0.0.1:9" for name in {rule.backend for rule in RULES}}
    app = create_app(RULES, backends)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        yield c


async def test_a_cors_preflight_from_another_site_is_allowed_where_the_route_says(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.options(
        "/api/v1/support/form",
        headers={
            "origin": "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"]


async def test_a_route_without_a_cors_filter_refuses_the_preflight(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.options(
        "/api/v1/health",
        headers={"origin": "https://shop.example", "access-control-request-method": "GET"},
    )
    assert response.status_code == 403


async def test_even_an_error_answer_carries_the_cors_header(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/api/v1/support/form", json={}, headers={"origin": "https://shop.example"}
    )
    assert response.status_code == 503  # nothing listens behind it here
    assert response.headers["access-control-allow-origin"] == "*"


def test_allowed_methods_are_those_of_the_rules_whose_path_fits() -> None:
    # OPTIONS too, where a CORS filter answers the preflight (httproute.yaml)
    assert allowed_methods(RULES, "/api/v1/support/form") == ["OPTIONS", "POST"]
    assert allowed_methods(RULES, "/api/v1/tickets/TKT-0001") == ["GET", "OPTIONS"]
    assert allowed_methods(RULES, "/api/v1/tickets/TKT-0001/messages") == ["GET", "OPTIONS", "POST"]
    assert allowed_methods(RULES, "/api/v2/anything") == []


async def test_a_wrong_method_on_a_route_is_405_with_allow(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/support/form")
    assert response.status_code == 405
    assert response.headers["allow"] == "OPTIONS, POST"
    assert "POST" in response.json()["detail"]
    response = await gateway.delete("/api/v1/tickets/TKT-0001")
    assert (response.status_code, response.headers["allow"]) == (405, "GET, OPTIONS")


async def test_a_preflight_is_answered_only_by_a_rule_that_matches_options() -> None:
    """As a Gateway's CORS filter: a rule matching only POST never sees the OPTIONS preflight."""
    post_only = [
        RouteRule(
            [RouteMatch("Exact", "/api/v1/support/form", "POST")], "intake-web-form", cors=rule.cors
        )
        for rule in RULES[:1]
    ]
    app = create_app(post_only, {"intake-web-form": "http://127.0.0.1:9"})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        response = await c.options(
            "/api/v1/support/form",
            headers={"origin": "https://shop.example", "access-control-request-method": "POST"},
        )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_an_unknown_api_path_is_still_404(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v2/tickets")
    assert response.status_code == 404
    assert response.headers["x-content-type-options"] == "nosniff"


async def _never_read() -> AsyncIterator[bytes]:
    raise AssertionError("the gateway read a body it should have refused")
    yield b""  # pragma: no cover - makes this an async generator


async def test_a_declared_body_over_the_limit_is_413_before_it_is_read(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.post(
        "/api/v1/support/form",
        content=_never_read(),
        headers={"content-length": str(MAX_BODY_BYTES + 1), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert str(MAX_BODY_BYTES) in response.json()["detail"]


async def test_a_content_length_that_is_not_a_number_is_400(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/api/v1/support/form", content=_never_read(), headers={"content-length": "-1"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/tickets/" + "T" * 60_000, 414),  # httpx refuses a longer URL itself
        ("/api/v1/tickets/" + "T" * 2_100, 414),
        ("/api/v1/tickets/TKT-0001?token=" + "t" * 2_100, 414),
        ("/api/v1/tickets/TKT%000001", 400),
        ("/api/v1/tickets/TKT-0001%0d%0aX-Evil:%201", 400),
        ("/api/v1/tickets/TKT-0001?token=a%00b", 400),
        ("/?ticket=%7f", 400),
    ],
)
async def test_a_long_or_control_character_target_is_a_4xx_never_a_5xx(
    gateway: httpx.AsyncClient, path: str, status: int
) -> None:
    response = await gateway.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"


def _backend() -> Starlette:
    """Stands in for the functions: echoes what it got, with headers a function might send."""

    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {
                "path": request.scope["raw_path"].decode(),
                "query": request.url.query,
                "size": len(body),
                "headers": dict(request.headers),
            },
            headers={
                "connection": "x-private",
                "x-private": "hop",
                "x-kept": "yes",
                "set-cookie": "fte_staff=one-persons-session; Path=/; HttpOnly",
            },
        )

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])


@pytest.fixture
async def proxied() -> AsyncIterator[httpx.AsyncClient]:
    backends = {name: "http://backend" for name in ("intake-web-form", "ticket-status", "ops")}
    app = create_app(RULES, backends, transport=httpx.ASGITransport(app=_backend()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as c:
        yield c


async def _chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    for _ in range(total // size):
        yield b"x" * size


async def test_a_streamed_body_within_the_limit_reaches_the_backend_whole(
    proxied: httpx.AsyncClient,
) -> None:
    response = await proxied.post("/api/v1/support/form", content=_chunks(MAX_BODY_BYTES))
    assert response.status_code == 200
    assert response.json()["size"] == MAX_BODY_BYTES


async def test_a_streamed_body_over_the_limit_is_cut_with_413(proxied: httpx.AsyncClient) -> None:
    response = await proxied.post("/api/v1/support/form", content=_chunks(MAX_BODY_BYTES + 8192))
    assert response.status_code == 413
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_path_is_forwarded_as_the_client_encoded_it(proxied: httpx.AsyncClient) -> None:
    response = await proxied.get("/api/v1/tickets/TKT%201%2F2?token=a%2Bb")
    assert response.json()["path"] == "/api/v1/tickets/TKT%201%2F2"
    assert response.json()["query"] == "token=a%2Bb"


async def test_a_cookie_a_backend_sets_reaches_that_client_only(
    proxied: httpx.AsyncClient,
) -> None:
    """The gateway keeps no cookie jar: one person's session is never sent on another's request."""
    first = await proxied.get("/api/v1/tickets/TKT-0001")
    assert "one-persons-session" in first.headers["set-cookie"]
    proxied.cookies.clear()  # another browser
    second = await proxied.get("/api/v1/tickets/TKT-0001")
    assert "cookie" not in second.json()["headers"]
    mine = await proxied.get("/api/v1/tickets/TKT-0001", headers={"cookie": "fte_staff=mine"})
    assert mine.json()["headers"]["cookie"] == "fte_staff=mine"


async def test_hop_by_hop_headers_stay_on_their_hop(proxied: httpx.AsyncClient) -> None:
    response = await proxied.get(
        "/api/v1/health", headers={"te": "trailers", "proxy-authorization": "Basic eA=="}
    )
    seen = response.json()["headers"]
    assert "te" not in seen and "proxy-authorization" not in seen
    assert "x-private" not in response.headers  # named by the backend's Connection header
    assert "connection" not in response.headers or response.headers["connection"] != "x-private"
    assert response.headers["x-kept"] == "yes"


async def test_ticket_answers_are_never_sniffed_nor_cached(proxied: httpx.AsyncClient) -> None:
    for response in (
        await proxied.get("/api/v1/tickets/TKT-0001", headers={"authorization": "Bearer t"}),
        await proxied.post("/api/v1/support/form", json={}),
        await proxied.post("/api/v1/tickets/TKT-0001/messages", json={}),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    health = await proxied.get("/api/v1/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in health.headers


def test_a_response_header_modifier_removes_then_sets_then_adds() -> None:
    rule = RouteRule(
        [RouteMatch("PathPrefix", "/", None)],
        "a",
        response_headers=HeaderModifier(
            set=(("x-a", "1"),), add=(("vary", "Accept"),), remove=("x-b",)
        ),
    )
    assert select_rule([rule], "GET", "/x") is rule
    headers = MutableHeaders({"x-a": "0", "x-b": "gone", "vary": "Origin"})
    _modify(headers, rule.response_headers)
    assert headers.getlist("x-a") == ["1"]
    assert "x-b" not in headers
    assert headers.getlist("vary") == ["Origin", "Accept"]


@pytest.mark.parametrize("path", ["/", "/assets/fte-support.js", "/staff", "/staff/x/y"])
def test_the_page_and_the_inbox_are_routed_to_the_web_page_function(path: str) -> None:
    assert select_backend(RULES, "GET", path) == "web-page"
    assert select_backend(RULES, "HEAD", path) == "web-page"
    assert select_backend(RULES, "POST", path) is None


async def test_a_path_no_rule_routes_is_404_as_a_gateway_answers(
    gateway: httpx.AsyncClient,
) -> None:
    for path in ("/anything", "/staffing", "/api/v2/anything"):  # /staffing is not under /staff
        response = await gateway.get(path)
        assert response.status_code == 404, path
        assert path in response.json()["detail"]
