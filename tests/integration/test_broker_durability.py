"""The dev stack's broker keeps its log on S3: a broker restart loses neither records nor offsets."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.devstack.broker import create_topics, start_s3, start_tansu
from shared.devstack.ports import free_port

TOPIC = "durability.test"


async def _produce(bootstrap: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    for i in range(n):
        await producer.send_and_wait(TOPIC, f"record-{i}".encode(), key=b"k")
    await producer.stop()


async def _read_all(bootstrap: str, group: str, commit_after: int | None = None) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=5000,
        session_timeout_ms=10000,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        for _ in range(100):
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                values.extend(r.value or b"" for r in records)
            if commit_after is not None and len(values) >= commit_after:
                await consumer.commit({TopicPartition(TOPIC, 0): commit_after})
                break
            if values and not batches:
                break
        return values
    finally:
        await consumer.stop()


async def test_records_and_committed_offsets_survive_a_broker_restart(tmp_path: Path) -> None:
    s3, endpoint = start_s3(tmp_path / "logs", tmp_path)
    port = free_port()
    broker, bootstrap = start_tansu(tmp_path / "logs", tmp_path, s3_endpoint=endpoint, port=port)
    try:
        await create_topics(bootstrap, {TOPIC: 1})
        await _produce(bootstrap, 10)
        first = await _read_all(bootstrap, "durability-group", commit_after=4)
        assert first[:4] == [f"record-{i}".encode() for i in range(4)]

        broker.stop()
        broker, bootstrap = await asyncio.to_thread(
            start_tansu, tmp_path / "logs", tmp_path, s3_endpoint=endpoint, port=port
        )
        fresh = await _read_all(bootstrap, "another-group")
        resumed = await _read_all(bootstrap, "durability-group")
    finally:
        broker.stop()
        s3.stop()
    assert fresh == [f"record-{i}".encode() for i in range(10)]
    assert resumed == [f"record-{i}".encode() for i in range(4, 10)]
