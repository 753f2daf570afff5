from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from events import catalog
from shared.devstack.manifests import (
    Delivery,
    ManifestError,
    Manifests,
    load,
    parse_duration,
    parse_go_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0.2S", 0.2),
        ("PT30S", 30),
        ("PT1M30S", 90),
        ("PT2H", 7200),
        ("P1D", 86400),
        ("P1DT1S", 86401),
    ],
)
def test_iso8601_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "30s", "PT-1S"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_exponential_backoff_is_the_delay_times_two_to_the_retry_counting_from_one() -> None:
    # EKB computeRetryPolicy: delay * 2^retryCount, Vert.x counting retries from 1.
    d = Delivery(retry=3, backoff_policy="exponential", backoff_delay=0.2)
    assert [d.backoff(k) for k in (1, 2, 3)] == pytest.approx([0.4, 0.8, 1.6])


def test_linear_backoff_is_the_delay_times_the_retry() -> None:
    d = Delivery(retry=3, backoff_policy="linear", backoff_delay=0.5)
    assert [d.backoff(k) for k in (1, 2, 3)] == pytest.approx([0.5, 1.0, 1.5])


def test_there_is_no_retry_zero() -> None:
    with pytest.raises(ValueError):
        Delivery().backoff(0)


def test_no_delivery_spec_means_knative_defaults() -> None:
    d = Delivery.from_spec(None)
    assert (d.retry, d.backoff_policy, d.backoff_delay, d.timeout) == (
        10,
        "exponential",
        0.3,
        600.0,
    )


def test_agent_runner_source_reads_incoming_with_a_dead_letter_sink() -> None:
    m = load()
    source = next(s for s in m.subscriptions if s.name == "agent-runner-source")
    assert source.topics == [catalog.TOPIC_INCOMING]
    assert source.subscriber == "agent-runner"
    assert source.ordered
    assert source.delivery.retry > 0
    assert m.sinks[source.delivery.dead_letter_sink or ""] == catalog.TOPIC_DLQ


def test_every_subscription_has_a_dead_letter_sink_and_a_known_subscriber() -> None:
    m = load()
    assert {s.name for s in m.subscriptions} >= {"agent-runner-source", "send-web"}
    for sub in m.subscriptions:
        assert sub.delivery.dead_letter_sink in m.sinks, sub.name
        assert m.sinks[sub.delivery.dead_letter_sink or ""] in m.topics, sub.name
        assert sub.subscriber in m.services, sub.name
        assert set(sub.topics) <= set(m.topics), sub.name


def _load(tmp_path: Path, *docs: dict[str, Any]) -> Manifests:
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({"resources": ["all.yaml"]}))
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(docs))
    return load(tmp_path)


_SINK = {"apiVersion": "serving.knative.dev/v1", "kind": "Service", "name": "relay"}


def _kafka_source(delivery: dict[str, Any] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "topics": ["t"],
        "consumerGroup": "g",
        "sink": {"ref": _SINK},
    }
    if delivery is not None:
        spec["delivery"] = delivery
    return {
        "apiVersion": "sources.knative.dev/v1beta1",
        "kind": "KafkaSource",
        "metadata": {"name": "lossy"},
        "spec": spec,
    }


@pytest.mark.parametrize(
    "delivery",
    [None, {"retry": 3, "backoffDelay": "PT1S"}, {"deadLetterSink": {"ref": {"name": "nowhere"}}}],
)
def test_a_subscription_without_a_working_dead_letter_sink_is_refused_by_name(
    tmp_path: Path, delivery: dict[str, Any] | None
) -> None:
    with pytest.raises(ManifestError, match="KafkaSource lossy"):
        _load(tmp_path, _kafka_source(delivery))


def test_a_trigger_without_a_dead_letter_sink_is_refused_by_name(tmp_path: Path) -> None:
    broker = {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Broker",
        "metadata": {
            "name": "b",
            "annotations": {"kafka.eventing.knative.dev/external.topic": "t"},
        },
        "spec": {},
    }
    trigger = {
        "apiVersion": "eventing.knative.dev/v1",
        "kind": "Trigger",
        "metadata": {"name": "careless"},
        "spec": {"broker": "b", "subscriber": {"ref": _SINK}},
    }
    with pytest.raises(ManifestError, match="Trigger careless"):
        _load(tmp_path, broker, trigger)


def test_the_outbox_relay_is_pinged_every_minute_with_a_sweep_task() -> None:
    m = load()
    ping = next(p for p in m.ping_sources if p.name == "outbox-relay-ping")
    assert ping.schedule == "* * * * *"
    assert ping.content_type == "application/json"
    assert json.loads(ping.data) == {"task": "sweep"}
    assert ping.sink == "outbox-relay"
    assert ping.source == "/apis/v1/namespaces/default/pingsources/outbox-relay-ping"


def test_every_ping_source_sinks_into_a_known_service() -> None:
    m = load()
    for ping in m.ping_sources:
        assert ping.sink in m.services, ping.name


def _ping(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "PingSource",
        "metadata": {"name": "p"},
        "spec": {"schedule": "*/5 * * * *", "sink": {"ref": _SINK}} | spec,
    }


def test_a_ping_source_reads_base64_data_and_a_timezone(tmp_path: Path) -> None:
    [ping] = _load(
        tmp_path, _ping(dataBase64=base64.b64encode(b"\x00\x01").decode(), timezone="Europe/Paris")
    ).ping_sources
    assert (ping.data, ping.timezone, ping.content_type) == (b"\x00\x01", "Europe/Paris", None)


@pytest.mark.parametrize(
    "spec",
    [
        {"schedule": "@every 1m"},
        {"schedule": "not a cron"},
        {"schedule": "0 * * * * *"},
        {"timezone": "Mars/Olympus"},
        {"data": "x", "dataBase64": "eA=="},
        {"dataBase64": "!!!"},
        {"contentType": "application/json", "data": "not json"},
    ],
)
def test_a_ping_source_knative_would_refuse_is_refused(
    tmp_path: Path, spec: dict[str, Any]
) -> None:
    with pytest.raises(ManifestError, match="PingSource p"):
        _load(tmp_path, _ping(**spec))


def test_send_web_trigger_filters_web_replies_from_the_broker_topic() -> None:
    trigger = next(s for s in load().subscriptions if s.name == "send-web")
    assert trigger.topics == [catalog.TOPIC_OUTGOING]
    assert trigger.filter == {"type": catalog.REPLY_READY, "channel": "web_form"}


def test_topics_named_in_manifests_are_the_catalog_topics() -> None:
    topics = set(load().topics)
    assert {catalog.TOPIC_INCOMING, catalog.TOPIC_OUTGOING, catalog.TOPIC_DLQ} <= topics


def test_the_agent_runner_reads_its_rules_from_the_mounted_config_map(tmp_path: Path) -> None:
    from shared.devstack.stack import mount_config_maps, service_env

    m = load()
    runner = m.services["agent-runner"]
    mounts = mount_config_maps(runner, m, tmp_path)
    env = service_env(runner, m, {}, mounts)
    rules = Path(env["ESCALATION_RULES_PATH"])
    assert rules.is_relative_to(tmp_path)
    assert rules.read_text() == m.config_maps["fte-escalation-rules"]["escalation-rules.yaml"]


def _route(rule: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r"},
        "spec": {"rules": [rule]},
    }


def test_a_route_rule_reaches_the_service_named_by_its_rewritten_host(tmp_path: Path) -> None:
    rule = {
        "matches": [{"path": {"type": "Exact", "value": "/x"}, "method": "POST"}],
        "backendRefs": [{"name": "kourier-internal", "namespace": "kourier-system", "port": 80}],
        "filters": [
            {"type": "URLRewrite", "urlRewrite": {"hostname": "relay.fte.svc.cluster.local"}}
        ],
    }
    [route] = _load(tmp_path, _route(rule)).routes
    assert route.backend == "relay"


def test_a_route_rule_straight_to_a_knative_service_is_refused(tmp_path: Path) -> None:
    """Knative's ingress routes by Host: a backendRef to the Service alone reaches nothing."""
    rule = {
        "matches": [{"path": {"type": "Exact", "value": "/x"}}],
        "backendRefs": [{"name": "relay", "port": 80}],
    }
    with pytest.raises(ManifestError, match=r"HTTPRoute rule for \['/x'\]: no URLRewrite"):
        _load(tmp_path, _route(rule))


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("1m30s", 90), ("500ms", 0.5), ("1h", 3600), ("0", 0)]
)
def test_go_durations_of_autoscaling_annotations(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", "s", "1d", "30 s"])
def test_bad_go_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_go_duration(text)


def test_a_service_at_min_scale_0_goes_after_the_stable_window_and_its_scale_down_delay() -> None:
    services = load().services
    # window 60s (Knative's default) + scale-down-delay 30s (services.yaml)
    assert services["agent-runner"].min_scale == 0
    assert services["agent-runner"].idle_period == 90
    assert services["ops"].min_scale == 1 and services["ops"].idle_period is None


def test_a_services_revision_changes_exactly_when_its_template_does(tmp_path: Path) -> None:
    base = Path(__file__).resolve().parents[2] / "knative" / "base"
    for f in base.iterdir():
        (tmp_path / f.name).write_text(f.read_text())
    before = load(tmp_path).services
    services = tmp_path / "services.yaml"
    services.write_text(services.read_text().replace('target: "3"', 'target: "2"', 1))
    after = load(tmp_path).services

    assert after["agent-runner"].revision != before["agent-runner"].revision
    assert after["send-web"].revision == before["send-web"].revision
