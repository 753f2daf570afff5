"""Each route's lag and progress, and the dead-letter topics' depth, from the Kafka admin API.

Lag is the topics' end offsets minus what the route's consumer group committed (a group that has
committed nothing yet lags by all that is retained: its initial offset is earliest); delivered is
what it committed beyond the start of the log. A dead letter names the subscriber it was meant
for in its ``knativeerrordest`` extension; reading the dead-letter topics counts them per route.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.ops_status.view import Route, RouteStatus

DEAD_LETTER_SCAN_LIMIT = 100_000  # records read per dead-letter topic at most
DEST = "knativeerrordest"


@dataclass(frozen=True)
class Progress:
    lag: int
    delivered: int


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    known = await consumer.topics()  # fetches the cluster's metadata
    found = []
    for topic in (t for t in topics if t in known):
        for partition in sorted(consumer.partitions_for_topic(topic) or ()):
            found.append(TopicPartition(topic, partition))
    return found


async def route_progress(bootstrap: str, routes: list[Route]) -> dict[str, Progress]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        progress = {}
        for route in routes:
            partitions = await _partitions(consumer, list(route.topics))
            if not partitions:
                continue
            start = await consumer.beginning_offsets(partitions)
            end = await consumer.end_offsets(partitions)
            committed = await admin.list_consumer_group_offsets(route.group, partitions=partitions)
            lag = delivered = 0
            for tp in partitions:
                mark = committed.get(tp)
                at = mark.offset if mark is not None and mark.offset >= 0 else start[tp]
                lag += max(0, end[tp] - at)
                delivered += max(0, at - start[tp])
            progress[route.name] = Progress(lag, delivered)
        return progress
    finally:
        await consumer.stop()
        await admin.close()


def _destination(headers: list[tuple[str, bytes]], value: bytes | None) -> str | None:
    for key, raw in headers:
        if key == f"ce_{DEST}":
            return raw.decode(errors="replace")
    try:  # a structured-mode CloudEvent carries its extensions in the JSON
        event = json.loads(value or b"")
    except ValueError:
        return None
    return str(event[DEST]) if isinstance(event, dict) and DEST in event else None


async def dead_letters(bootstrap: str, topics: list[str]) -> tuple[dict[str, int], Counter[str]]:
    """Records on each dead-letter topic, and how many were meant for each destination."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    destinations: Counter[str] = Counter()
    try:
        partitions = await _partitions(consumer, topics)  # before assign() narrows the metadata
        if not partitions:
            return {}, destinations
        start = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        depth = {t: 0 for t in topics if any(tp.topic == t for tp in partitions)}
        for tp in partitions:
            depth[tp.topic] += end[tp] - start[tp]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, max(start[tp], end[tp] - DEAD_LETTER_SCAN_LIMIT))
        remaining = {tp for tp in partitions if end[tp] > start[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=2000)
            if not batches:
                break
            for tp, records in batches.items():
                for record in records:
                    dest = _destination(list(record.headers), record.value)
                    if dest:
                        destinations[dest] += 1
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
        return depth, destinations
    finally:
        await consumer.stop()


def meant_for(route: Route, destinations: Counter[str]) -> int:
    """Dead letters whose destination is the route's subscriber: the same host and port."""
    if not route.subscriber_url:
        return 0
    host = urlsplit(route.subscriber_url).netloc
    return sum(n for dest, n in destinations.items() if urlsplit(dest).netloc == host)


async def route_statuses(
    bootstrap: str, routes: list[Route], dead_letter_topics: list[str]
) -> tuple[list[RouteStatus], dict[str, int]]:
    """Each route's lag, deliveries and dead letters, and each dead-letter topic's depth."""
    progress = await route_progress(bootstrap, routes)
    depth, destinations = await dead_letters(bootstrap, dead_letter_topics)
    statuses = [
        RouteStatus(
            r.name,
            r.kind,
            r.subscriber,
            lag=progress[r.name].lag if r.name in progress else None,
            delivered=progress[r.name].delivered if r.name in progress else None,
            retried=None,
            dead_lettered=meant_for(r, destinations),
        )
        for r in routes
    ]
    return statuses, depth
