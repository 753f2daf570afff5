"""How far each route's consumer group is behind: the broker's high watermark minus the group's
committed offset, per topic partition, summed per group.

Every consumer group the broker knows is a route (a KafkaSource's ``consumerGroup``, a Trigger's
generated group), so nothing here repeats the manifests. A group's topics are those it has
committed an offset on; a partition of such a topic it has not committed on yet counts from the
log start, as ``initialOffset: earliest`` would read it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


@dataclass(frozen=True)
class RouteLag:
    group: str
    records: int  # behind, over every partition of the group's topics
    topics: tuple[str, ...]


async def consumer_lag(bootstrap: str, timeout: float = 2.0) -> list[RouteLag]:
    """Each consumer group's lag, by name; raises when the broker does not answer in time."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(admin.start(), offsets.start())
            return await _lag(admin, offsets)
    finally:
        await asyncio.gather(admin.close(), offsets.stop(), return_exceptions=True)


async def _lag(admin: AIOKafkaAdminClient, offsets: AIOKafkaConsumer) -> list[RouteLag]:
    groups = sorted(group for group, _protocol in await admin.list_consumer_groups())
    if not groups:
        return []
    topics = [
        TopicPartition(t["topic"], p["partition"])
        for t in await admin.describe_topics()
        if not t["topic"].startswith("__")
        for p in t["partitions"]
    ]
    ends = await offsets.end_offsets(topics)
    starts = await offsets.beginning_offsets(topics)
    lags = []
    for group in groups:
        committed = {
            tp: meta.offset
            for tp, meta in (
                await admin.list_consumer_group_offsets(group, partitions=topics)
            ).items()
            if meta.offset >= 0
        }
        consumed = sorted({tp.topic for tp in committed})
        behind = sum(
            max(0, ends[tp] - committed.get(tp, starts[tp]))
            for tp in topics
            if tp.topic in consumed
        )
        lags.append(RouteLag(group, behind, tuple(consumed)))
    return lags
