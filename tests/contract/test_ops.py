import time
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.config import get_settings
from shared.devstack.broker import create_topics
from shared.publisher import close_producer
from tests.functions_under_test import function_client


async def test_health_is_200_when_database_and_broker_answer(app_env: str) -> None:
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["model"] == "offline-deterministic-v1"


async def test_health_is_503_naming_the_broker_when_it_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await close_producer()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    get_settings.cache_clear()
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "down"}


async def test_health_is_503_naming_the_database_when_it_is_down(
    app_env: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.db import close_pool

    await close_pool()
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    async with function_client("ops") as client:
        response = await client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


async def _route_that_stopped(bootstrap: str, topic: str, group: str) -> None:
    """A route's consumer as the dispatcher runs one: joins its group, delivers, commits, stops."""
    await create_topics(bootstrap, {topic: 3})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(3):
            await producer.send_and_wait(topic, b"{}", key=str(n).encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=5000,
    )
    await consumer.start()
    try:
        seen, deadline = 0, time.monotonic() + 30
        while seen < 3 and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            seen += sum(len(records) for records in batches.values())
            await consumer.commit()
        assert seen == 3, "the route's consumer never got its records"
    finally:
        await consumer.stop()


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"{}", key=str(n % 7).encode())
    finally:
        await producer.stop()


async def test_health_warns_about_a_route_whose_consumer_stopped_while_events_arrive(
    app_env: str, kafka: str
) -> None:
    topic, group = f"test.lag.{uuid.uuid4().hex[:8]}", f"route-{uuid.uuid4().hex[:8]}"
    await _route_that_stopped(kafka, topic, group)
    async with function_client("ops") as client:
        caught_up = (await client.get("/api/v1/health")).json()
        await _produce(kafka, topic, 150)
        behind = await client.get("/api/v1/health")
    assert caught_up["consumer_lag"]["routes"][group] == 0
    assert not [w for w in caught_up["warnings"] if group in w]
    assert behind.status_code == 200  # lag is a warning, not an outage
    body = behind.json()
    assert body["consumer_lag"]["threshold"] == 100
    assert body["consumer_lag"]["routes"][group] == 150
    assert f"consumer lag: {group} is 150 records behind (over 100)" in body["warnings"]


async def test_health_warns_about_lag_only_above_the_configured_threshold(
    app_env: str, kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSUMER_LAG_WARN_RECORDS", "200")
    get_settings.cache_clear()
    topic, group = f"test.lag.{uuid.uuid4().hex[:8]}", f"route-{uuid.uuid4().hex[:8]}"
    await _route_that_stopped(kafka, topic, group)
    await _produce(kafka, topic, 150)
    async with function_client("ops") as client:
        body = (await client.get("/api/v1/health")).json()
    assert body["consumer_lag"] == body["consumer_lag"] | {"threshold": 200}
    assert body["consumer_lag"]["routes"][group] == 150
    assert not [w for w in body["warnings"] if group in w]
