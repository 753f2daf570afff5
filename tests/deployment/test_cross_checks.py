"""The overlays hold together with the code: functions, events, routes and settings all meet."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from events import catalog
from tests.deployment import cross_checks as checks
from tests.deployment.rendering import OVERLAYS, render

# Published, and consumed by nothing in this system: a hand-off tool for the people behind the
# escalations would subscribe to it. A new event type nobody consumes fails the test below.
UNCONSUMED_BY_DESIGN = {catalog.ESCALATED}


@pytest.fixture(scope="module")
def prod() -> list[dict[str, Any]]:
    return render(OVERLAYS["prod"])


def _without(docs: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    kept = [d for d in docs if (d["kind"], d["metadata"]["name"]) != (kind, name)]
    assert len(kept) == len(docs) - 1
    return kept


def test_every_function_folder_has_its_service_and_every_service_runs_one(prod: Any) -> None:
    assert checks.functions_and_services(prod) == []


def test_a_function_without_a_service_is_named(prod: Any) -> None:
    broken = [
        d for d in prod if not (d["kind"] == "Service" and d["metadata"]["name"] == "send-web")
    ]
    assert checks.functions_and_services(broken) == [
        "functions/send_web is run by []: expected one Service"
    ]


def test_every_event_type_we_publish_is_delivered_somewhere(prod: Any) -> None:
    assert checks.unconsumed_event_types(prod) == UNCONSUMED_BY_DESIGN
    assert checks.undelivered_channels(prod) == []


def test_a_missing_kafka_source_or_trigger_is_caught(prod: Any) -> None:
    no_source = _without(prod, "KafkaSource", "agent-runner-source")
    assert catalog.MESSAGE_RECEIVED in checks.unconsumed_event_types(no_source)
    no_trigger = _without(prod, "Trigger", "send-email")
    assert checks.undelivered_channels(no_trigger) == [
        "replies on email reach [], not the Service send-email"
    ]


def test_every_variable_the_code_reads_is_provided(prod: Any) -> None:
    assert checks.required_env("agent_runner") >= {
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "ESCALATION_RULES_PATH",
        "FTE_MODEL_CACHE",  # where the image keeps the exported model: the image sets it
    }
    assert "FTE_MODEL_CACHE" in checks.image_env()
    assert checks.unprovided_env(prod) == []


def test_an_unprovided_variable_a_wrong_secret_key_and_a_stray_setting_are_caught(
    prod: Any,
) -> None:
    broken = copy.deepcopy(prod)
    services = checks.knative_services(broken)
    runner = services["agent-runner"]["spec"]["template"]["spec"]["containers"][0]
    runner["env"] = [v for v in runner["env"] if v["name"] != "ESCALATION_RULES_PATH"]
    sender = services["send-email"]["spec"]["template"]["spec"]["containers"][0]
    sender["env"][1]["valueFrom"]["secretKeyRef"]["key"] = "GMAIL_CLIENT_ID_TYPO"
    [config] = [
        c for c in broken if c["kind"] == "ConfigMap" and c["metadata"]["name"] == "fte-config"
    ]
    config["data"]["GMAIL_ADRESS"] = "x@example.com"
    assert checks.unprovided_env(broken) == [
        "Service agent-runner does not provide ESCALATION_RULES_PATH, which its code reads",
        "Service send-email: Secret fte-secrets has no key GMAIL_CLIENT_ID_TYPO",
        "fte-config sets GMAIL_ADRESS, which is no setting (shared/config.py)",
    ]


def test_every_route_reaches_a_knative_service_through_the_ingress(prod: Any) -> None:
    assert checks.unroutable_rules(prod) == []


def test_a_rule_straight_to_a_service_or_without_its_preflight_is_caught(prod: Any) -> None:
    broken = copy.deepcopy(prod)
    [route] = [d for d in broken if d["kind"] == "HTTPRoute"]
    first, second = route["spec"]["rules"][:2]
    first["backendRefs"] = [{"name": "intake-web-form", "port": 80}]
    first["filters"] = [f for f in first["filters"] if f["type"] != "URLRewrite"]
    second["matches"] = [m for m in second["matches"] if m.get("method") != "OPTIONS"]
    found = checks.unroutable_rules(broken)
    assert len(found) == 3, found
    assert "backendRefs [{'name': 'intake-web-form', 'port': 80}]" in found[0]
    assert "Host '' is no Service of namespace fte" in found[1]
    assert "no OPTIONS match" in found[2]
