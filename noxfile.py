"""The sessions a person runs: ``nox -s dev``, ``nox -s tests``, ``nox -s lint``, ``nox -s bench``."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = (
    "virtualenv"  # pip, not uv: torch must come from the local CPU wheel
)
nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


def _install(session: nox.Session, *extras: str) -> None:
    session.install("--upgrade", "pip")
    session.install("-e", f".[{','.join(extras)}]" if extras else ".")


def _pytest(session: nox.Session, *args: str) -> None:
    session.run("python", "-m", "pytest", *args, *session.posargs)


@nox.session(python=PYTHON)
def dev(session: nox.Session) -> None:
    """Run the whole system on the embedded stack and print its URLs (Ctrl-C stops it)."""
    _install(session, "dev")
    session.run("fte", "dev", *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole suite on the embedded stack: unit, integration, contract, end to end."""
    _install(session, "test")
    _pytest(session, "-p", "no:cacheprovider", "-q", "-ra")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (lint + format) and strict mypy, the noxfile included."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "noxfile.py")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Latency figures of the running system, against the bare-function baseline measured alongside."""
    _install(session, "dev")
    session.run("python", "-m", "benchmarks.intake_latency", *session.posargs)
