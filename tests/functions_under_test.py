"""The real functions' ASGI apps, built as the manifests' command builds them, reachable over httpx."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared.devstack.manifests import load
from shared.serving import create_app

REPO = Path(__file__).resolve().parents[1]


def function_client(service: str) -> httpx.AsyncClient:
    """An httpx client for the Knative Service's function, started with its manifest's args."""
    args = dict(
        a.removeprefix("--").split("=", 1)
        for a in load().services[service].container.args
        if "=" in a
    )
    app = create_app(args["target"], str(REPO / args["source"]), args["signature-type"])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://function")
