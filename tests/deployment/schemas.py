"""Strict validation of rendered manifests: CRDs from knative/crds/, core kinds from kubernetes-validate.

As ``kubectl apply --validate=strict`` does, a field the schema does not declare is an error
(unless the schema says ``x-kubernetes-preserve-unknown-fields``). Not evaluated: CEL rules
(``x-kubernetes-validations``) and admission webhooks.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

CRDS = Path(__file__).resolve().parents[2] / "knative" / "crds"
# The Kubernetes version whose core schemas (Namespace, ConfigMap, Secret…) are used: the newest
# that Knative Serving 1.23 supports.
KUBERNETES_VERSION = "1.34.0"
_CORE_GROUPS = ("v1", "apps/v1", "batch/v1")


def _strict(schema: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema that refuses undeclared fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items() if not k.startswith("x-kubernetes-validations")}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if schema.get("type") == "object" and "properties" in schema and not preserve:
        out.setdefault("additionalProperties", False)
    return out


def _root(schema: dict[str, Any]) -> dict[str, Any]:
    """A CRD's schema plus what every object has at its root (metadata is checked on its own)."""
    properties = schema.setdefault("properties", {})
    properties.update({"apiVersion": {"type": "string"}, "kind": {"type": "string"}})
    properties["metadata"] = {"type": "object"}
    return schema


def _core_problems(name: str, doc: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{name}: {exc.message} at {'.'.join(map(str, exc.path))}"]
    except kubernetes_validate.utils.SchemaNotFoundError:
        return [f"{name}: {doc.get('apiVersion')} {doc.get('kind')} is not a core kind"]
    return []


@cache
def _crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → strict schema, for every served version of every vendored CRD."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                if not version.get("served"):
                    continue
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                schema.get("properties", {}).pop("status", None)  # set by the controller
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                found[key] = _root(_strict(schema))
    return found


def known_kinds() -> set[tuple[str, str]]:
    return set(_crd_schemas())


def problems(doc: dict[str, Any]) -> list[str]:
    """Why a cluster with these CRDs would refuse ``doc``; empty when it would accept it."""
    api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
    name = f"{kind} {doc.get('metadata', {}).get('name', '?')}"
    if api_version in _CORE_GROUPS:
        return _core_problems(name, doc)
    # Kubernetes' ObjectMeta, which the API server checks on every object, CRDs' too.
    meta = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc.get("metadata", {})}
    found = _core_problems(name, meta)
    schema = _crd_schemas().get((api_version, kind))
    if schema is None:
        return [f"{name}: no CRD serves {api_version} {kind} (knative/crds/SOURCES.md)"]
    validator = jsonschema.Draft7Validator(schema)
    return found + [
        f"{name}: {error.message} at {'.'.join(map(str, error.absolute_path)) or '(top)'}"
        for error in validator.iter_errors(doc)
    ]
