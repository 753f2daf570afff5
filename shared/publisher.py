"""Emitting events: one lazily started Kafka producer per process, acks from all in-sync replicas."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from cloudevents.http import CloudEvent
from opentelemetry.trace import SpanKind

from events.kafka import to_record
from shared import tracing
from shared.config import get_settings

_producer: AIOKafkaProducer | None = None
_lock = asyncio.Lock()


async def get_producer() -> AIOKafkaProducer:
    global _producer
    if _producer is None:
        async with _lock:
            if _producer is None:
                settings = get_settings()
                producer = AIOKafkaProducer(
                    bootstrap_servers=settings.kafka_bootstrap_servers,
                    acks="all",
                    request_timeout_ms=settings.kafka_request_timeout_ms,
                )
                await producer.start()
                _producer = producer
    return _producer


async def publish(topic: str, event: CloudEvent) -> None:
    """Return once the broker has acknowledged the record; raise if it did not.

    The record carries the event's trace context (the current one if it has none yet), and the
    publish is a span in that trace, wherever and however late it happens.
    """
    tracing.stamp(event)
    with tracing.tracer().start_as_current_span(
        f"publish {topic}",
        context=tracing.context_of(event),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "cloudevents.event_id": str(event["id"]),
            "cloudevents.event_type": str(event["type"]),
        },
    ):
        key, value, headers = to_record(event)
        producer = await get_producer()
        await producer.send_and_wait(topic, value=value, key=key, headers=headers)


async def broker_reachable(timeout: float = 2.0) -> bool:
    """True when the brokers answer a metadata request in time."""
    try:
        producer = await asyncio.wait_for(get_producer(), timeout)
        return bool(await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout))
    except Exception:
        return False


async def close_producer() -> None:
    global _producer
    if _producer is not None:
        producer, _producer = _producer, None
        await producer.stop()
