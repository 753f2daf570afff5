"""Both overlays render with a real kustomize and every document is one the cluster accepts."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deployment.cross_checks import of_kind
from tests.deployment.rendering import KNATIVE, OVERLAYS, render
from tests.deployment.schemas import problems

CLUSTER_SCOPED = {"Namespace"}


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(OVERLAYS[request.param])


def test_every_document_of_each_overlay_validates_strictly(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    assert len(docs) >= 30
    assert [p for doc in docs for p in problems(doc)] == []


def test_each_overlay_brings_its_namespace_and_puts_everything_in_it(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    [namespace] = of_kind(docs, "Namespace")
    name = namespace["metadata"]["name"]
    assert {d["metadata"].get("namespace") for d in docs if d["kind"] not in CLUSTER_SCOPED} == {
        name
    }


def test_no_overlay_applies_a_secret_so_the_real_one_is_never_overwritten(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    assert of_kind(docs, "Secret") == []
    template = yaml.safe_load((KNATIVE / "secrets.template.yaml").read_text())
    assert problems(template) == []


def test_every_write_can_reach_its_insync_replicas(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    [pool] = of_kind(docs, "KafkaNodePool")
    [kafka] = of_kind(docs, "Kafka")
    brokers = pool["spec"]["replicas"]
    assert int(kafka["spec"]["kafka"]["config"]["min.insync.replicas"]) <= brokers
    for topic in of_kind(docs, "KafkaTopic"):
        spec = topic["spec"]
        assert int(spec["config"]["min.insync.replicas"]) <= spec["replicas"] <= brokers, spec


def test_topics_belong_to_the_kafka_cluster_of_their_own_namespace(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    """Strimzi's topic operator watches its Kafka cluster's namespace only."""
    _, docs = rendered
    [kafka] = of_kind(docs, "Kafka")
    namespace, cluster = kafka["metadata"]["namespace"], kafka["metadata"]["name"]
    for topic in of_kind(docs, "KafkaTopic") + of_kind(docs, "KafkaNodePool"):
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert topic["metadata"]["namespace"] == namespace
    bootstrap = f"{cluster}-kafka-bootstrap.{namespace}.svc:9092"
    config = {c["metadata"]["name"]: c["data"] for c in of_kind(docs, "ConfigMap")}
    assert config["fte-config"]["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap
    assert config["fte-kafka-broker-config"]["bootstrap.servers"] == bootstrap
    for source in of_kind(docs, "KafkaSource") + of_kind(docs, "KafkaSink"):
        assert source["spec"]["bootstrapServers"] == [bootstrap]


def test_dev_and_prod_share_no_namespace_kafka_or_public_url() -> None:
    dev, prod = render(OVERLAYS["dev"]), render(OVERLAYS["prod"])

    def facts(docs: list[dict[str, Any]]) -> tuple[str, str]:
        [config] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == "fte-config"]
        return config["data"]["KAFKA_BOOTSTRAP_SERVERS"], config["data"]["PUBLIC_BASE_URL"]

    assert facts(dev)[0] != facts(prod)[0]
    assert facts(dev)[1] != facts(prod)[1]
    assert all(url.startswith("https://") for url in (facts(dev)[1], facts(prod)[1]))


def test_prod_keeps_webhooks_warm_and_lets_the_agent_runner_and_senders_scale_to_zero() -> None:
    services = {
        s["metadata"]["name"]: s
        for s in render(OVERLAYS["prod"])
        if s["kind"] == "Service" and s["apiVersion"].startswith("serving")
    }

    def min_scale(name: str) -> int:
        annotations = services[name]["spec"]["template"]["metadata"]["annotations"]
        return int(annotations["autoscaling.knative.dev/min-scale"])

    entries = [
        n for n, s in services.items() if s["metadata"].get("labels", {}).get("digital-fte/entry")
    ]
    assert {"intake-web-form", "intake-gmail", "ticket-status"} <= set(entries)
    assert all(min_scale(n) >= 1 for n in entries)
    assert all(min_scale(n) == 0 for n in ("agent-runner", "send-web", "send-email"))


def test_the_ingress_reference_grant_renders_and_validates() -> None:
    docs = render(KNATIVE / "ingress")
    assert [d["kind"] for d in docs] == ["ReferenceGrant"]
    assert [p for d in docs for p in problems(d)] == []
    allowed = {f["namespace"] for f in docs[0]["spec"]["from"]}
    overlays = {of_kind(render(o), "Namespace")[0]["metadata"]["name"] for o in OVERLAYS.values()}
    assert allowed == overlays


def _broken_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "knative"
    shutil.copytree(KNATIVE, copy, ignore=shutil.ignore_patterns("crds"))
    return copy


def test_a_strimzi_v1beta2_topic_and_a_misspelt_field_fail_validation(tmp_path: Path) -> None:
    copy = _broken_copy(tmp_path)
    topics = copy / "base" / "kafka-topics.yaml"
    topics.write_text(
        topics.read_text().replace("kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2", 1)
    )
    services = copy / "base" / "services.yaml"
    services.write_text(services.read_text().replace("timeoutSeconds:", "timeoutSecond:", 1))
    found = [p for doc in render(copy / "overlays" / "prod") for p in problems(doc)]
    assert any("no CRD serves kafka.strimzi.io/v1beta2 KafkaTopic" in p for p in found), found
    assert any("'timeoutSecond' was unexpected" in p for p in found), found


def test_every_function_is_scraped_on_its_one_port_and_metrics_are_never_routed(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    services = [d for d in of_kind(docs, "Service") if d["apiVersion"].startswith("serving.")]
    assert len(services) >= 10
    for service in services:
        template = service["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        [container] = template["spec"]["containers"]
        port = container.get("ports", [{"containerPort": 8080}])[0]["containerPort"]  # Knative's
        assert {k: v for k, v in annotations.items() if k.startswith("prometheus.io/")} == {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics",
        }, service["metadata"]["name"]
        assert container["command"] == ["python", "-m", "shared.serving"]  # serves /metrics
    [route] = of_kind(docs, "HTTPRoute")
    paths = [m["path"]["value"] for rule in route["spec"]["rules"] for m in rule["matches"]]
    assert not [p for p in paths if p == "/metrics" or p.endswith("/metrics")]
