"""What a function's code imports, followed through our own packages (by reading, not running)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OURS = ("shared", "events", "functions")


@dataclass
class Closure:
    modules: dict[str, Path] = field(default_factory=dict)  # our modules, dotted name → file
    third_party: set[str] = field(default_factory=set)  # top-level names of everything else
    # third-party names imported only inside a function's body, by module: loaded when called
    lazy: dict[str, set[str]] = field(default_factory=dict)


def _file_of(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def closure(entry: Path) -> Closure:
    """Every module ``entry`` (a function's main.py) needs, with the packages above each."""
    found = Closure()
    pending = [".".join(entry.relative_to(REPO).with_suffix("").parts)]
    while pending:
        module = pending.pop()
        if module in found.modules:
            continue
        path = _file_of(module)
        if path is None:
            continue  # ``from package import name`` where name is not a module
        found.modules[module] = path
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        pending.extend(parents)
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        every = _imported(tree, module, is_package)
        in_bodies: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                in_bodies |= _imported(node, module, is_package)
        top_level = every - in_bodies
        for name in every:
            top = name.split(".")[0]
            if top in OURS:
                pending.append(name)
            elif top and top != "__future__":
                found.third_party.add(top)
        lazy = {n.split(".")[0] for n in in_bodies} - {n.split(".")[0] for n in top_level}
        if lazy - set(OURS):
            found.lazy[module] = lazy - set(OURS)
    return found
