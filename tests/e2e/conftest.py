"""The system started the way a person starts it: ``fte dev`` in a terminal, stopped with Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from shared.devstack.ports import free_port
from shared.throttle import unthrottled

REPO = Path(__file__).resolve().parents[2]
READY_LINE = "Press Ctrl-C to stop."


@dataclass
class DevStack:
    url: str
    process: subprocess.Popen[str]
    output: Path
    data_dir: Path

    @property
    def logs(self) -> list[Path]:
        """What every process of the stack wrote, and what ``fte dev`` printed."""
        return [*sorted((self.data_dir / "logs").glob("*.log")), self.output]

    def process_named(self, name: str) -> psutil.Process:
        """The stack's child running ``name`` (a function's target, or a devstack module)."""
        for child in psutil.Process(self.process.pid).children(recursive=True):
            if any(name in part for part in child.cmdline()):
                return child
        raise LookupError(name)

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)


def start_dev(data_dir: Path, timeout: float = 180, extra_args: Sequence[str] = ()) -> DevStack:
    """``fte dev`` on a free port with ``data_dir``, plus ``extra_args`` (e.g. ``--set K=V``).

    Every function is kept warm: scaling to zero is tested on its own (test_stack.py), and here
    a cold start after a quiet minute would only make a test wait longer.
    """
    port = free_port()
    output = data_dir.parent / f"dev-{port}.out"
    with output.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "dev",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--keep-warm",
                *extra_args,
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + timeout
    while READY_LINE not in output.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"fte dev did not start:\n{output.read_text()}")
        time.sleep(0.2)
    return DevStack(f"http://127.0.0.1:{port}", process, output, data_dir)


def delivered_answers(api: httpx.Client, receipt: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The agent's delivered messages on the receipt's ticket, or None while there is none."""
    response = api.get(
        f"/api/v1/tickets/{receipt['ticket_number']}",
        headers={"authorization": f"Bearer {receipt['access_token']}"},
    )
    if response.status_code != 200:
        return None
    delivered = [
        m
        for m in response.json()["messages"]
        if m["role"] == "agent" and m["delivery_status"] == "delivered"
    ]
    return delivered or None


def wait_for(check: object, timeout: float, what: str) -> object:
    """Poll ``check()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()  # type: ignore[operator]
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


#: Every test here is one client address; the rate limits have tests of their own.
UNTHROTTLED = tuple(arg for k, v in unthrottled().items() for arg in ("--set", f"{k}={v}"))


@pytest.fixture(scope="session")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    stack = start_dev(tmp_path_factory.mktemp("e2e") / "data", extra_args=UNTHROTTLED)
    yield stack
    stack.stop()


@pytest.fixture
def api(dev_stack: DevStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dev_stack.url, timeout=30) as client:
        yield client
