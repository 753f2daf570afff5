import pytest

from shared.devstack.gateway import select_backend
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
