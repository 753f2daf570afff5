"""The gateway as ``nox -s dev`` runs it: its own process, uvicorn, a backend behind it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import psutil
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.devstack.gateway import MAX_TARGET_BYTES, RECEIPT_SECONDS
from shared.devstack.ports import free_port
from shared.http_api import MAX_BODY_BYTES
from shared.web_page import WEB_DIST

REPO = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024
RSS_BOUND = 16 * MIB  # growth of the gateway's RSS allowed while a 100 MB body is sent


@dataclass
class Backend:
    """What the function behind the gateway received: body sizes, and whether each was whole."""

    bodies: list[tuple[int, bool]]


def _backend_app(backend: Backend) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        size, whole = 0, True
        try:
            async for chunk in request.stream():
                size += len(chunk)
        except Exception:  # the client (the gateway) went away mid-body
            whole = False
        backend.bodies.append((size, whole))
        return JSONResponse({"size": size})

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[Backend, str]]:
    state = Backend([])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_backend_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield state, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@dataclass
class Gateway:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=RECEIPT_SECONDS + 5)


@pytest.fixture(scope="module")
def gateway(backend: tuple[Backend, str]) -> Iterator[Gateway]:
    url = backend[1]
    port = free_port()
    env = os.environ | {
        "PORT": str(port),
        "FTE_BACKENDS": f'{{"intake-web-form": "{url}", "ticket-status": "{url}", "ops": "{url}"}}',
    }
    process = subprocess.Popen([sys.executable, "-m", "shared.devstack.gateway"], cwd=REPO, env=env)
    gateway = Gateway(port, process)
    deadline = time.monotonic() + 30
    while True:
        try:
            gateway.connect().close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    yield gateway
    process.terminate()
    process.wait(10)


def _raw(gateway: Gateway, request: bytes) -> bytes:
    """Sends bytes as they are (no client library rewrites them) and reads until closed."""
    with gateway.connect() as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                break
        return received


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def test_server_and_date_appear_once_and_hop_by_hop_headers_stay(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/api/v1/health")
    assert response.status_code == 200
    assert response.headers.get_list("server") == ["uvicorn"]
    assert len(response.headers.get_list("date")) == 1
    assert "transfer-encoding" not in response.headers or response.headers.get_list(
        "transfer-encoding"
    ) == ["chunked"]


def test_channel_figures_reach_ops_through_the_gateway(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/api/v1/metrics/channels", params={"since": "1h"})
    assert response.status_code == 200
    assert response.json() == {"size": 0}  # the backend's echo: the request got through
    assert response.headers["cache-control"] == "no-store"


def test_only_the_channel_figures_are_routed_under_api_v1_metrics(gateway: Gateway) -> None:
    assert httpx.get(f"{gateway.url}/api/v1/metrics").status_code == 404
    assert httpx.post(f"{gateway.url}/api/v1/metrics/channels").status_code in (404, 405)


@pytest.mark.parametrize(
    ("target", "status"),
    [
        (b"/api/v1/tickets/" + b"T" * 100_000, 414),
        (b"/api/v1/tickets/" + b"T" * 10_000, 414),
        (b"/api/v1/tickets/" + b"T" * MAX_TARGET_BYTES, 414),
        (b"/api/v1/tickets/TKT%000001", 400),
        (b"/api/v1/tickets/TKT-0001?token=%00", 400),
        (b"/api/v1/tickets/TKT-0001%0D%0AX:%201", 400),
    ],
)
def test_a_hostile_target_is_a_4xx_never_a_5xx(
    gateway: Gateway, target: bytes, status: int
) -> None:
    response = _raw(gateway, b"GET " + target + b" HTTP/1.1\r\nHost: gw\r\n\r\n")
    assert _status(response) == status


def test_a_declared_100_mb_body_is_413_at_once_and_never_read(gateway: Gateway) -> None:
    before = gateway.rss()
    with gateway.connect() as sock:
        sock.sendall(
            b"POST /api/v1/support/form HTTP/1.1\r\nHost: gw\r\n"
            b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
        )
        response = b""
        while chunk := sock.recv(65536):  # ends when the gateway closes: no body is waited for
            response += chunk
        assert _status(response) == 413
        assert b"connection: close" in response.lower()
    assert gateway.rss() - before < RSS_BOUND


def _send_chunked(sock: socket.socket, total: int, chunk: bytes, sent: list[int]) -> None:
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    try:
        while sent[0] < total:
            sock.sendall(frame)
            sent[0] += len(chunk)
        sock.sendall(b"0\r\n\r\n")
    except OSError:  # the gateway closed the connection after its 413
        pass


def test_a_chunked_100_mb_body_is_cut_at_the_limit_with_memory_flat(
    gateway: Gateway, backend: tuple[Backend, str]
) -> None:
    state = backend[0]
    state.bodies.clear()
    before = peak = gateway.rss()
    sent = [0]
    with gateway.connect() as sock:
        sock.sendall(
            b"POST /api/v1/support/form HTTP/1.1\r\nHost: gw\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        sender = threading.Thread(
            target=_send_chunked, args=(sock, 100 * MIB, b"x" * MIB, sent), daemon=True
        )
        sender.start()
        while sender.is_alive():
            peak = max(peak, gateway.rss())
            sender.join(0.02)
        response = sock.recv(65536)
    print(
        f"gateway RSS {before / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB while the client pushed "
        f"{sent[0] / MIB:.0f} MiB of a 100 MiB chunked body"
    )
    assert _status(response) == 413
    assert peak - before < RSS_BOUND
    deadline = time.monotonic() + 10  # the backend sees the cut stream after the client's 413
    while not state.bodies and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state.bodies and all(size <= MAX_BODY_BYTES + MIB for size, _ in state.bodies)
    assert not any(whole for _, whole in state.bodies), "the backend got a truncated body as whole"


def test_a_body_within_the_limit_is_streamed_through_whole(
    gateway: Gateway, backend: tuple[Backend, str]
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(8):
            yield b"x" * (MAX_BODY_BYTES // 8)

    response = httpx.post(f"{gateway.url}/api/v1/support/form", content=chunks())
    assert (response.status_code, response.json()) == (200, {"size": MAX_BODY_BYTES})


def test_a_client_trickling_its_headers_is_cut_off_at_the_deadline(gateway: Gateway) -> None:
    idle, trickling = gateway.connect(), gateway.connect()
    start = time.monotonic()
    trickling.sendall(b"GET /api/v1/health HTTP/1.1\r\n")
    closed: dict[str, float] = {}
    try:
        for sock in (idle, trickling):
            sock.setblocking(False)
        while len(closed) < 2 and time.monotonic() - start < RECEIPT_SECONDS + 5:
            for name, sock in (("idle", idle), ("trickling", trickling)):
                if name in closed:
                    continue
                try:
                    if sock.recv(1024) == b"":
                        closed[name] = time.monotonic() - start
                except BlockingIOError:
                    pass
                except OSError:
                    closed[name] = time.monotonic() - start
            if "trickling" not in closed:
                try:
                    trickling.send(b"X")
                except OSError:
                    closed["trickling"] = time.monotonic() - start
            time.sleep(1)
    finally:
        idle.close()
        trickling.close()
    assert set(closed) == {"idle", "trickling"}
    assert all(RECEIPT_SECONDS - 1 <= t <= RECEIPT_SECONDS + 3 for t in closed.values()), closed


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if (tag == "script" and "src" not in names) or tag == "style" or "style" in names:
            self.inline.append(tag)
        self.inline.extend(f"{tag} {name}" for name in names if name.startswith("on"))


def test_the_built_page_has_no_inline_script_or_style() -> None:
    index = WEB_DIST / "index.html"
    assert index.exists(), "build the web form first: cd web-form && npm run build"
    finder = _InlineFinder()
    finder.feed(index.read_text())
    assert finder.inline == []
