"""``fte ops status --cluster``: the Kubernetes API's recorded answers, a real broker's offsets.

The official Kubernetes client talks to a stand-in of the API server that answers the list calls
it makes with the responses in ``recorded/k8s/`` and, as the API server does, refuses a request
without the kubeconfig's bearer token.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from shared.devstack.broker import ensure_topics, start_tansu
from shared.devstack.stack import REPO
from shared.ops_status.cluster import cluster_status, fetch
from shared.ops_status.view import render
from tests.serving import serve

RECORDED = Path(__file__).parent / "recorded" / "k8s"
TOKEN = "recorded-cluster-token"
TOPICS = {
    "fte.tickets.incoming": 2,
    "fte.tickets.outgoing": 2,
    "fte.tickets.dlq": 1,
    "fte.tickets.dlq.parked": 1,
}


def kubernetes_api() -> Starlette:
    async def list_objects(request: Request) -> JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"kind": "Status", "code": 401, "reason": "Unauthorized"}, 401)
        p = request.path_params
        if p["namespace"] != "fte":
            return JSONResponse({"kind": "Status", "code": 404, "reason": "NotFound"}, 404)
        path = RECORDED / f"{p['group']}_{p['version']}_{p['plural']}.json"
        if not path.exists():
            return JSONResponse({"kind": "Status", "code": 404, "reason": "NotFound"}, 404)
        return JSONResponse(json.loads(path.read_text()))

    return Starlette(
        routes=[Route("/apis/{group}/{version}/namespaces/{namespace}/{plural}", list_objects)]
    )


def kubeconfig(tmp_path: Path, server: str, token: str = TOKEN) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "recorded", "cluster": {"server": server}}],
                "users": [{"name": "ops", "user": {"token": token}}],
                "contexts": [
                    {"name": "recorded", "context": {"cluster": "recorded", "user": "ops"}}
                ],
                "current-context": "recorded",
            }
        )
    )
    return str(path)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    child, bootstrap = start_tansu(tmp_path_factory.mktemp("broker"), REPO, s3_endpoint=None)
    try:
        ensure_topics(bootstrap, TOPICS)
        yield bootstrap
    finally:
        child.stop()


@pytest.fixture
async def api() -> AsyncIterator[str]:
    async with serve(kubernetes_api()) as url:
        yield url


async def traffic(bootstrap: str) -> None:
    """7 messages in, 5 of them committed by agent-runner's group; one dead letter for send-web."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(7):
            await producer.send_and_wait("fte.tickets.incoming", b"{}", partition=i % 2)
        dest = b"http://send-web.fte.svc.cluster.local"
        headers = [("ce_knativeerrordest", dest), ("ce_id", b"dead-1")]
        await producer.send_and_wait("fte.tickets.dlq", b"{}", headers=headers)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id="fte-agent-runner", enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition("fte.tickets.incoming", p) for p in (0, 1)])
        await consumer.commit(
            {
                TopicPartition("fte.tickets.incoming", 0): OffsetAndMetadata(3, ""),
                TopicPartition("fte.tickets.incoming", 1): OffsetAndMetadata(2, ""),
            }
        )
    finally:
        await consumer.stop()


async def test_cluster_status_reads_revisions_and_scale_from_the_api_and_lag_from_kafka(
    api: str, broker: str, tmp_path: Path
) -> None:
    await traffic(broker)
    objects = await asyncio.to_thread(fetch, "fte", kubeconfig(tmp_path, api), None)

    status = await cluster_status(objects, "fte", broker)

    functions = {f.name: f for f in status.functions}
    assert functions["agent-runner"].revision == "agent-runner-00003"
    assert (functions["agent-runner"].desired, functions["agent-runner"].actual) == (3, 3)
    assert functions["agent-runner"].ready
    assert (functions["send-web"].desired, functions["send-web"].actual) == (0, 0)
    assert not functions["intake-web-form"].ready  # its newest revision cannot pull its image
    assert functions["intake-web-form"].revision == "intake-web-form-00004"  # still serving
    routes = {r.name: r for r in status.routes}
    assert (routes["agent-runner-source"].lag, routes["agent-runner-source"].delivered) == (2, 5)
    assert routes["send-web"].kind == "Trigger" and routes["send-web"].lag == 0
    assert routes["send-web"].dead_lettered == 1
    assert routes["agent-runner-source"].dead_lettered == 0
    assert status.dead_letter_depth == {"fte.tickets.dlq": 1, "fte.tickets.dlq.parked": 0}
    assert "agent-runner-00003" in render(status)


async def test_a_cluster_that_refuses_the_token_is_an_error_not_an_empty_status(
    api: str, tmp_path: Path
) -> None:
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as refused:
        await asyncio.to_thread(fetch, "fte", kubeconfig(tmp_path, api, token="wrong"), None)
    assert refused.value.status == 401


async def test_fte_ops_status_cluster_prints_the_status_as_json(
    api: str, broker: str, tmp_path: Path
) -> None:
    argv = [
        sys.executable,
        "-m",
        "shared.cli",
        "ops",
        "status",
        "--cluster",
        "--json",
        "--kubeconfig",
        kubeconfig(tmp_path, api),
        "--bootstrap",
        broker,
    ]
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)

    assert process.returncode == 0, err.decode()
    status: dict[str, Any] = json.loads(out)
    assert status["source"].startswith("cluster namespace fte")
    assert {f["name"] for f in status["functions"]} == {
        "agent-runner",
        "send-web",
        "intake-web-form",
    }
    assert {r["name"] for r in status["routes"]} == {"agent-runner-source", "send-web"}
