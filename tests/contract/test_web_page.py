"""web-page: the built web form, with a policy that allows no inline code and framing only as configured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shared import web_page
from shared.devstack.manifests import load
from shared.devstack.stack import service_env
from tests.functions_under_test import function_client


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> httpx.AsyncClient:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "assets" / "fte-support.js").write_text("export {}")
    (tmp_path / "staff").mkdir()
    (tmp_path / "staff" / "index.html").write_text("<title>Support inbox</title>")
    monkeypatch.setattr(web_page, "WEB_DIST", tmp_path)
    monkeypatch.setenv("PAGE_FRAME_ANCESTORS", "'self'")
    return function_client("web-page")


async def test_the_embeddable_script_can_be_loaded_from_another_site(
    page: httpx.AsyncClient,
) -> None:
    async with page:
        response = await page.get("/assets/fte-support.js")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


async def test_any_page_path_gets_the_support_page_which_routes_itself(
    page: httpx.AsyncClient,
) -> None:
    async with page:
        for path in ("/", "/?ticket=TKT-0001", "/staffing"):
            response = await page.get(path)
            assert response.status_code == 200 and "root" in response.text, path
            assert response.headers["content-security-policy"].endswith("frame-ancestors 'self'")


@pytest.mark.parametrize("path", ["/staff", "/staff/", "/staff/?ticket=TKT-0001", "/staff/x/y"])
async def test_the_inbox_is_served_at_staff_and_below_and_never_framed(
    page: httpx.AsyncClient, path: str
) -> None:
    async with page:
        response = await page.get(path)
    assert response.status_code == 200
    assert "Support inbox" in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert csp.endswith("frame-ancestors 'none'")
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_page_forbids_inline_script_sniffing_and_referers(
    page: httpx.AsyncClient,
) -> None:
    async with page:
        for path in ("/", "/?ticket=TKT-0001", "/assets/fte-support.js"):
            response = await page.get(path)
            csp = response.headers["content-security-policy"]
            assert "script-src 'self';" in csp and "'unsafe-inline'" not in csp
            assert "default-src 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"


async def test_a_file_outside_the_build_is_never_served(page: httpx.AsyncClient) -> None:
    async with page:
        response = await page.get("/assets/../../etc/passwd")
    assert "root:" not in response.text


async def test_an_api_path_or_a_write_is_refused(page: httpx.AsyncClient) -> None:
    async with page:
        assert (await page.get("/api/v1/unknown")).status_code == 404
        posted = await page.post("/", content=b"x")
    assert (posted.status_code, posted.headers["allow"]) == (405, "GET, HEAD")


async def test_frame_ancestors_come_from_the_manifests_config_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = load()
    env = service_env(manifests.services["web-page"], manifests, {})
    assert env["PAGE_FRAME_ANCESTORS"] == manifests.config_maps["fte-web-page"]["frame-ancestors"]
    (tmp_path / "index.html").write_text("<div id=root></div>")
    monkeypatch.setattr(web_page, "WEB_DIST", tmp_path)
    monkeypatch.setenv("PAGE_FRAME_ANCESTORS", "'self' https://www.northwind.example")
    async with function_client("web-page") as page:
        csp = (await page.get("/")).headers["content-security-policy"]
    assert csp.endswith("frame-ancestors 'self' https://www.northwind.example")
