"""``fte ops status`` of a cluster: Knative's objects from the Kubernetes API, progress from Kafka.

Functions are the namespace's Knative Services: the latest ready Revision, the Service's Ready
condition and when it last changed, and that Revision's desired and actual replicas. Routes are
its KafkaSources and the Triggers of its Kafka Broker, with the consumer group each uses (a
Trigger's from its status, else eventing-kafka-broker's default ``knative-trigger-<ns>-<name>``).
Retries are counted by the data plane's own metrics, not kept in Kafka, so none shows here.
"""

from __future__ import annotations

from typing import Any

from shared.ops_status.kafka_progress import route_statuses
from shared.ops_status.view import FunctionStatus, Route, Status

EXTERNAL_TOPIC = "kafka.eventing.knative.dev/external.topic"
Objects = dict[str, list[dict[str, Any]]]


def fetch(namespace: str, kubeconfig: str | None, context: str | None) -> Objects:
    """The namespace's Knative objects that the status is made of, one list call per kind."""
    from kubernetes import client, config

    api = client.CustomObjectsApi(
        config.new_client_from_config(config_file=kubeconfig, context=context)
    )
    kinds = {
        "services": ("serving.knative.dev", "v1"),
        "revisions": ("serving.knative.dev", "v1"),
        "kafkasources": ("sources.knative.dev", "v1beta1"),
        "triggers": ("eventing.knative.dev", "v1"),
        "brokers": ("eventing.knative.dev", "v1"),
        "kafkasinks": ("eventing.knative.dev", "v1alpha1"),
    }
    return {
        plural: api.list_namespaced_custom_object(group, version, namespace, plural)["items"]
        for plural, (group, version) in kinds.items()
    }


def _condition(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == kind:
            return dict(c)
    return {}


def _unix(timestamp: str | None) -> float | None:
    from datetime import datetime

    return (
        datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() if timestamp else None
    )


def functions(objects: Objects) -> list[FunctionStatus]:
    revisions = {r["metadata"]["name"]: r for r in objects["revisions"]}
    found = []
    for service in objects["services"]:
        status = service.get("status", {})
        name = status.get("latestReadyRevisionName") or status.get("latestCreatedRevisionName", "")
        revision = revisions.get(name, {}).get("status", {})
        ready = _condition(service, "Ready")
        found.append(
            FunctionStatus(
                service["metadata"]["name"],
                name or "-",
                ready=ready.get("status") == "True",
                desired=revision.get("desiredReplicas"),
                actual=revision.get("actualReplicas"),
                last_change=_unix(ready.get("lastTransitionTime")),
            )
        )
    return sorted(found, key=lambda f: f.name)


def routes(objects: Objects, namespace: str) -> list[Route]:
    topics = {
        b["metadata"]["name"]: b["metadata"]
        .get("annotations", {})
        .get(EXTERNAL_TOPIC, f"knative-broker-{namespace}-{b['metadata']['name']}")
        for b in objects["brokers"]
    }
    found = [
        Route(
            s["metadata"]["name"],
            "KafkaSource",
            s["spec"]["consumerGroup"],
            tuple(s["spec"]["topics"]),
            s["spec"]["sink"]["ref"]["name"],
            s.get("status", {}).get("sinkUri", ""),
        )
        for s in objects["kafkasources"]
    ]
    for t in objects["triggers"]:
        meta, status = t["metadata"], t.get("status", {})
        group = status.get("annotations", {}).get("group.id") or (
            f"knative-trigger-{namespace}-{meta['name']}"
        )
        broker = t["spec"]["broker"]
        found.append(
            Route(
                meta["name"],
                "Trigger",
                group,
                (topics.get(broker, f"knative-broker-{namespace}-{broker}"),),
                t["spec"]["subscriber"]["ref"]["name"],
                status.get("subscriberUri", ""),
            )
        )
    return found


async def cluster_status(objects: Objects, namespace: str, bootstrap: str) -> Status:
    found = routes(objects, namespace)
    sink_topics = sorted({s["spec"]["topic"] for s in objects["kafkasinks"]})
    statuses, depth = await route_statuses(bootstrap, found, sink_topics)
    return Status(
        source=f"cluster namespace {namespace}, Kafka {bootstrap}",
        functions=functions(objects),
        routes=statuses,
        dead_letter_depth=depth,
        notes=["retries are counted by Knative's Kafka data plane metrics, not kept in Kafka"],
    )
