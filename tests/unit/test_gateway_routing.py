from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from shared.devstack.gateway import create_app, select_backend
from shared.devstack.manifests import RouteMatch, RouteRule, load

RULES = load().routes


@pytest.mark.parametrize(
    ("method", "path", "backend"),
    [
        ("POST", "/api/v1/support/form", "intake-web-form"),
        ("GET", "/api/v1/tickets/TKT-0001", "ticket-status"),
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
async def gateway(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "assets" / "fte-support.js").write_text("export {}")
    backends = {name: "http://127.0.0.1:9" for name in ("intake-web-form", "ticket-status", "ops")}
    app = create_app(RULES, backends, web_dist=tmp_path)
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


async def test_the_embeddable_script_can_be_loaded_from_another_site(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/assets/fte-support.js")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


async def test_unknown_pages_get_the_single_page_app(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/anything")
    assert response.status_code == 200
    assert "root" in response.text
