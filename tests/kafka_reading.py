"""Reading what the code under test published, from the real broker."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, TopicPartition
from cloudevents.http import CloudEvent

from events.kafka import from_record


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
            ]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def read_events(
    bootstrap: str,
    topic: str,
    since: dict[TopicPartition, int],
    *,
    count: int = 1,
    timeout: float = 10.0,
    where: object = None,
) -> list[tuple[bytes | None, CloudEvent]]:
    """The first ``count`` events (key, event) published after ``since``, waiting up to ``timeout``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, client_id=f"test-{uuid.uuid4().hex[:6]}"
    )
    await consumer.start()
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        found: list[tuple[bytes | None, CloudEvent]] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for r in records:
                    event = from_record(r.key, r.value or b"", list(r.headers))
                    if where is None or where(event):  # type: ignore[operator]
                        found.append((r.key, event))
            await asyncio.sleep(0)
        return found
    finally:
        await consumer.stop()
