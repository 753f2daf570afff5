"""What a burst brings: pods from partitions (ordered delivery), targets and hard limits.

200 messages in 10 s from 200 customers (the partition key), each taking the agent HANDLING
seconds: by Little's law 20/s * HANDLING requests would be in flight, but ordered delivery keeps
at most one per partition in flight, so the runner sees min(that, partitions). Knative's
autoscaler wants in-flight / (target * utilization) pods, at most max-scale, and never more than
containerConcurrency requests on one pod.
"""

from __future__ import annotations

import math

from tests.deployment.cross_checks import knative_services, of_kind
from tests.deployment.rendering import OVERLAYS, render

MESSAGES, SECONDS, HANDLING = 200, 10.0, 2.0  # a model call of ~2 s per message


def burst() -> dict[str, float]:
    docs = render(OVERLAYS["prod"])
    runner = knative_services(docs)["agent-runner"]["spec"]["template"]
    annotations = runner["metadata"]["annotations"]
    [source] = [
        s
        for s in of_kind(docs, "KafkaSource")
        if s["spec"]["sink"]["ref"]["name"] == "agent-runner"
    ]
    [topic] = [
        t for t in of_kind(docs, "KafkaTopic") if t["spec"]["topicName"] in source["spec"]["topics"]
    ]
    partitions = topic["spec"]["partitions"]
    assert source["spec"]["ordering"] == "ordered"
    per_pod = float(annotations["autoscaling.knative.dev/target"]) * (
        float(annotations.get("autoscaling.knative.dev/target-utilization-percentage", 70)) / 100
    )
    in_flight = min(MESSAGES / SECONDS * HANDLING, partitions)
    pods = min(
        math.ceil(in_flight / per_pod), int(annotations["autoscaling.knative.dev/max-scale"])
    )
    return {
        "partitions": partitions,
        "in_flight": in_flight,
        "per_pod": per_pod,
        "pods": pods,
        "max_scale": int(annotations["autoscaling.knative.dev/max-scale"]),
        "hard_limit": runner["spec"]["containerConcurrency"],
        "drain_seconds": MESSAGES * HANDLING / in_flight,
    }


def test_a_burst_of_200_messages_in_10_seconds_brings_8_agent_runner_pods() -> None:
    b = burst()
    assert (b["partitions"], b["in_flight"], b["per_pod"], b["pods"]) == (24, 24, 3.0, 8)
    assert b["drain_seconds"] == 200 * 2.0 / 24  # ≈ 16.7 s once the pods are up


def test_max_scale_is_reachable_and_no_pod_takes_more_than_its_hard_limit() -> None:
    b = burst()
    assert b["pods"] == b["max_scale"]  # the whole partition count is used, no more
    assert b["per_pod"] < b["hard_limit"]  # a slot of headroom below containerConcurrency
    assert b["max_scale"] * b["hard_limit"] >= b["partitions"]
