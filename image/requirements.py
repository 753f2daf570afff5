"""The pinned requirements of one function's image, read from pyproject.toml (stdlib only).

``python image/requirements.py agent-runner`` prints the project's dependencies plus those of its
extra ``fn-agent-runner``, with the project's own extras (``digital-fte[agent]``) expanded. The
Dockerfile installs exactly these, so what an image holds is decided here, at build time.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_SELF = re.compile(r"^digital-fte\[(?P<extras>[^\]]+)\]$")


def requirements(function: str, pyproject: Path = PYPROJECT) -> list[str]:
    """Every requirement of ``fn-<function>`` (or of an extra named exactly so), sorted."""
    project = tomllib.loads(pyproject.read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    name = function if function in extras else f"fn-{function}"
    if name not in extras:
        raise SystemExit(f"pyproject.toml has no extra fn-{function}: add one for the function")
    found, pending, seen = set(project["dependencies"]), [name], set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in extras[extra]:
            own = _SELF.match(requirement)
            if own:
                pending.extend(e.strip() for e in own.group("extras").split(","))
            else:
                found.add(requirement)
    return sorted(found)


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1])))
