"""`nox -s bench` cannot rot: its quick mode runs every phase and reports every headline key.

Figures are never asserted here: on a shared machine they are noise; the bench measures its
baselines in the same run for that reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.devstack.stack import REPO

pytestmark = pytest.mark.e2e

HEADLINE = {
    "bare_p99_ms",
    "webhook_p99_ms",
    "reply_p95_ms",
    "sustained_msgs_per_s",
    "lost",
    "search_p95_ms_100k",
    "recall_at_10",
    "cold_start_ms",
}


@pytest.mark.timeout(900)
def test_the_quick_bench_completes_and_ends_with_one_json_line_of_the_headline_figures(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", "--out", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=840,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    headline = json.loads(done.stdout.strip().splitlines()[-1])
    assert headline.keys() >= HEADLINE
    assert isinstance(headline["cold_start_ms"], dict) and headline["cold_start_ms"]
    record = json.loads((tmp_path / "bench.json").read_text())
    assert {"webhooks", "replies", "search", "cold"} <= record.keys()
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
