"""Cross-checks of a rendered overlay against the code: what no schema can see.

Each check returns its findings as sentences; an empty list means the overlay holds together.
They run again whenever a branch adds a function, a channel or a setting.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from events import catalog
from shared.channels import SENDERS
from shared.config import Settings
from tests.deployment.imports import REPO, closure

FUNCTIONS = REPO / "functions"
SECRETS_TEMPLATE = REPO / "knative" / "secrets.template.yaml"
# Secrets made by an operator of the cluster rather than by us: name → the keys it holds.
OPERATOR_SECRETS = {"fte-postgres-app": {"uri", "username", "password", "host", "port", "dbname"}}
INGRESS = {"name": "kourier-internal", "namespace": "kourier-system", "port": 80}
Docs = list[dict[str, Any]]


def of_kind(docs: Docs, kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def knative_services(docs: Docs) -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Service" and d["apiVersion"].startswith("serving.knative.dev/")
    }


def _arg(service: dict[str, Any], flag: str) -> str | None:
    for arg in service["spec"]["template"]["spec"]["containers"][0].get("args", []):
        if arg.startswith(f"--{flag}="):
            return str(arg.split("=", 1)[1])
    return None


def function_folders() -> set[str]:
    return {p.parent.name for p in FUNCTIONS.glob("*/main.py")}


def functions_and_services(docs: Docs) -> list[str]:
    """Every function folder has one Service that runs it; every Service runs a function there."""
    found = []
    runs: dict[str, list[str]] = {}
    for name, service in knative_services(docs).items():
        source, target = _arg(service, "source"), _arg(service, "target")
        match = re.fullmatch(r"functions/(\w+)/main\.py", source or "")
        if not match or not (FUNCTIONS / match.group(1) / "main.py").is_file():
            found.append(f"Service {name} runs {source!r}, which is no function folder's main.py")
            continue
        tree = ast.parse((FUNCTIONS / match.group(1) / "main.py").read_text())
        defined = {
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if target not in defined:
            found.append(f"Service {name}: --target={target} is not defined in {source}")
        runs.setdefault(match.group(1), []).append(name)
    for folder in sorted(function_folders()):
        if len(runs.get(folder, [])) != 1:
            found.append(
                f"functions/{folder} is run by {runs.get(folder, [])}: expected one Service"
            )
    return found


def _consumers(docs: Docs, event_type: str, attributes: dict[str, str] | None) -> list[str]:
    """Who receives an event of this type (with these attributes; None: with some attributes)."""
    topic = catalog.TOPIC_OF[event_type]
    found = [
        f"KafkaSource {s['metadata']['name']}"
        for s in of_kind(docs, "KafkaSource")
        if topic in s["spec"]["topics"]
    ]
    brokers = {
        b["metadata"]["name"]
        for b in of_kind(docs, "Broker")
        if b["metadata"].get("annotations", {}).get("kafka.eventing.knative.dev/external.topic")
        == topic
    }
    event = {"type": event_type} | (attributes or {})
    for trigger in of_kind(docs, "Trigger"):
        wanted = trigger["spec"].get("filter", {}).get("attributes", {})
        if attributes is None:
            wanted = {k: v for k, v in wanted.items() if k == "type"}
        if trigger["spec"]["broker"] in brokers and all(
            event.get(k) == v for k, v in wanted.items()
        ):
            found.append(f"Trigger {trigger['metadata']['name']}")
    return found


def unconsumed_event_types(docs: Docs) -> set[str]:
    """The event types we publish that no KafkaSource or Trigger delivers anywhere."""
    return {t for t in catalog.TOPIC_OF if not _consumers(docs, t, None)}


def undelivered_channels(docs: Docs) -> list[str]:
    """Each channel whose sender function exists gets its replies through a Trigger to it."""
    found = []
    services = knative_services(docs)
    for channel, sender in sorted(SENDERS.items()):
        if sender.replace("-", "_") not in function_folders():
            continue  # no sender on this branch yet: nothing produces that channel's replies
        triggers = [
            t
            for t in of_kind(docs, "Trigger")
            if f"Trigger {t['metadata']['name']}"
            in _consumers(docs, catalog.REPLY_READY, {"channel": channel})
            and t["spec"]["filter"]["attributes"].get("channel") == channel
        ]
        subscribers = {t["spec"]["subscriber"]["ref"]["name"] for t in triggers}
        if subscribers != {sender} or sender not in services:
            found.append(
                f"replies on {channel} reach {sorted(subscribers)}, not the Service {sender}"
            )
    return found


def image_env() -> set[str]:
    """The variables every image sets itself: the names of the Dockerfile's ``ENV`` lines."""
    lines = (REPO / "Dockerfile").read_text().splitlines()
    return {
        pair.split("=", 1)[0]
        for line in lines
        if line.startswith("ENV ")
        for pair in line.split()[1:]
    }


def _template_keys() -> set[str]:
    return set(yaml.safe_load(SECRETS_TEMPLATE.read_text())["stringData"])


def _env_read(module: Path) -> set[str]:
    """The environment variables a module reads by a literal name or a module-level constant."""
    tree = ast.parse(module.read_text())
    constants = {
        t.id: n.value.value
        for n in tree.body
        if isinstance(n, ast.Assign | ast.AnnAssign) and isinstance(n.value, ast.Constant)
        for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
        if isinstance(t, ast.Name) and isinstance(n.value.value, str)
    }
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "getenv")
            and ast.unparse(node.func.value) in ("os.environ", "os")
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
            elif isinstance(arg, ast.Name) and arg.id in constants:
                names.add(constants[arg.id])
    return names


def required_env(function: str) -> set[str]:
    """What a function's code cannot start without: settings with no default, env it reads."""
    modules = closure(FUNCTIONS / function / "main.py").modules
    needed = set()
    reads_settings = any(
        "get_settings(" in path.read_text()
        for name, path in modules.items()
        if name != "shared.config"
    )
    if reads_settings:  # TracingSettings alone (web-page) needs no database and no broker
        needed |= {n.upper() for n, f in Settings.model_fields.items() if f.is_required()}
    for path in modules.values():
        needed |= _env_read(path)
    return needed


def unprovided_env(docs: Docs) -> list[str]:
    """Every variable a function needs is set by its Service, from a ConfigMap, Secret or value;
    every Secret key a Service names exists; every fte-config key is a setting something reads."""
    found = []
    config_maps = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(docs, "ConfigMap")}
    secrets = {"fte-secrets": _template_keys()} | OPERATOR_SECRETS
    for name, service in knative_services(docs).items():
        container = service["spec"]["template"]["spec"]["containers"][0]
        provided = image_env()
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef", {}).get("name")
            if ref not in config_maps:
                found.append(f"Service {name}: envFrom ConfigMap {ref} does not exist")
            provided |= set(config_maps.get(ref, {}))
        for var in container.get("env", []):
            provided.add(var["name"])
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["key"] not in secrets.get(ref["name"], set()):
                found.append(f"Service {name}: Secret {ref['name']} has no key {ref['key']}")
        folder = (_arg(service, "source") or "").split("/")[1:2]
        for var in sorted(required_env(folder[0]) - provided if folder else set()):
            found.append(f"Service {name} does not provide {var}, which its code reads")
    settings = {n.upper() for n in Settings.model_fields}
    for key in sorted(set(config_maps.get("fte-config", {})) - settings):
        found.append(f"fte-config sets {key}, which is no setting (shared/config.py)")
    return found


def unroutable_rules(docs: Docs) -> list[str]:
    """Each HTTPRoute rule goes to Knative's ingress with the Host of a Service in this namespace,
    and a rule with a CORS filter matches the OPTIONS preflight too."""
    found = []
    services = knative_services(docs)
    for route in of_kind(docs, "HTTPRoute"):
        namespace = route["metadata"].get("namespace")
        for rule in route["spec"]["rules"]:
            paths = sorted({m["path"]["value"] for m in rule["matches"]})
            filters = {f["type"]: f for f in rule.get("filters", [])}
            if rule.get("backendRefs") != [INGRESS]:
                found.append(f"{paths}: backendRefs {rule.get('backendRefs')} are not {INGRESS}")
            host = filters.get("URLRewrite", {}).get("urlRewrite", {}).get("hostname", "")
            service, _, rest = host.partition(".")
            if service not in services or rest != f"{namespace}.svc.cluster.local":
                found.append(f"{paths}: Host {host!r} is no Service of namespace {namespace}")
            methods = {m.get("method") for m in rule["matches"]}
            if "CORS" in filters and not ({"OPTIONS", None} & methods):
                found.append(f"{paths}: a CORS filter but no OPTIONS match: preflights get 404")
    return found
