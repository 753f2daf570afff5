"""The overlays as a cluster receives them: rendered by a real kustomize (``kubectl kustomize``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
KNATIVE = REPO / "knative"
OVERLAYS = {name: KNATIVE / "overlays" / name for name in ("dev", "prod")}
KUSTOMIZE_MAJOR = 5  # the overlays use components, replacements with delimiters and `labels`


def kubectl() -> str:
    """``FTE_KUBECTL`` (the nox session installs one) or the ``kubectl`` on PATH, with kustomize v5."""
    path = os.environ.get("FTE_KUBECTL") or shutil.which("kubectl")
    if not path:
        raise RuntimeError("no kubectl: run the tests with `nox -s tests`, which installs one")
    version = subprocess.run(
        [path, "version", "--client"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Kustomize Version: v(\d+)", version)
    if not found or int(found.group(1)) < KUSTOMIZE_MAJOR:
        raise RuntimeError(f"{path} embeds no kustomize v{KUSTOMIZE_MAJOR}+:\n{version}")
    return path


def render(directory: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize DIR``, parsed; a kustomize error raises with its message."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"kustomize refused {directory}:\n{result.stderr}")
    return [d for d in yaml.safe_load_all(result.stdout) if d]
