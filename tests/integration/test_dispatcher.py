"""The dev dispatcher against the real broker, delivering to a recording subscriber over HTTP."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cloudevents.http import CloudEvent, from_http
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.kafka import to_record
from shared.devstack.broker import create_topics
from shared.devstack.dispatcher import SubscriptionWorker, is_retryable
from shared.devstack.manifests import Delivery, Subscription
from shared.devstack.ports import free_port
from tests.kafka_reading import read_events


@dataclass
class Subscriber:
    """Answers with the scripted statuses in turn (then 200) and records what it received."""

    statuses: list[int] = field(default_factory=list)
    received: list[CloudEvent] = field(default_factory=list)
    content_modes: list[str] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.content_modes.append("binary" if "ce-id" in request.headers else "structured")
        self.received.append(from_http(dict(request.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(f"status {status}", status_code=status, headers={"kne-reason": "scripted"})


@pytest.fixture
async def subscriber() -> AsyncIterator[tuple[Subscriber, str]]:
    sub = Subscriber()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/", sub.handle, methods=["POST"])]),
            host="127.0.0.1",
            port=port,
            log_level="error",
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield sub, f"http://127.0.0.1:{port}/"
    server.should_exit = True
    await task


@pytest.fixture
async def topics(kafka: str) -> dict[str, str]:
    names = {"in": f"test.in.{uuid.uuid4().hex[:8]}", "dlq": f"test.dlq.{uuid.uuid4().hex[:8]}"}
    await create_topics(kafka, {names["in"]: 2, names["dlq"]: 1})
    return names


def _subscription(
    topics: dict[str, str],
    *,
    retry: int = 2,
    ordered: bool = True,
    filter: dict[str, str] | None = None,
) -> Subscription:
    return Subscription(
        name="test",
        topics=[topics["in"]],
        consumer_group=f"group-{uuid.uuid4().hex[:8]}",
        subscriber="subscriber",
        ordered=ordered,
        initial_offset="earliest",
        filter=filter or {},
        delivery=Delivery(
            retry=retry,
            backoff_policy="exponential",
            backoff_delay=0.05,
            timeout=5,
            dead_letter_sink="dlq",
        ),
    )


async def _run_worker(
    kafka: str, sub: Subscription, url: str, topics: dict[str, str]
) -> asyncio.Task[None]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    client = httpx.AsyncClient()
    worker = SubscriptionWorker(sub, url, kafka, {"dlq": topics["dlq"]}, client, producer)

    async def run() -> None:
        try:
            await worker.run()
        finally:
            await client.aclose()
            await producer.stop()

    return asyncio.create_task(run())


async def _publish(kafka: str, topic: str, *events: CloudEvent) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    for event in events:
        key, value, headers = to_record(event)
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    await producer.stop()


def _event(n: int = 0, channel: str = "web_form") -> CloudEvent:
    return CloudEvent.create(
        {
            "type": "test.event",
            "source": "/test",
            "partitionkey": "customer-1",
            "channel": channel,
            "datacontenttype": "application/json",
        },
        {"n": n},
    )


async def _until(condition: object, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _committed(kafka: str, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        total = 0
        for p in range(2):
            total += await consumer.committed(TopicPartition(topic, p)) or 0
        return total
    finally:
        await consumer.stop()


@pytest.mark.parametrize("status", [500, 502, 503, 404, 408, 409, 429, None])
def test_retryable_statuses_follow_knative(status: int | None) -> None:
    assert is_retryable(status)


@pytest.mark.parametrize("status", [400, 401, 403, 410, 413, 422, 300])
def test_other_failures_are_not_retried(status: int) -> None:
    assert not is_retryable(status)


async def test_events_arrive_in_order_in_binary_mode_and_offsets_commit_after_2xx(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    spec = _subscription(topics)
    await _publish(kafka, topics["in"], *(_event(n) for n in range(5)))
    task = await _run_worker(kafka, spec, url, topics)
    await _until(lambda: len(sub.received) == 5)
    await _until_committed(kafka, spec, topics, 5)
    task.cancel()
    assert [e.get_data()["n"] for e in sub.received] == [0, 1, 2, 3, 4]
    assert set(sub.content_modes) == {"binary"}
    assert sub.received[0]["partitionkey"] == "customer-1"


async def _until_committed(kafka: str, spec: Subscription, topics: dict[str, str], n: int) -> None:
    for _ in range(100):
        if await _committed(kafka, spec.consumer_group, topics["in"]) == n:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"offsets never reached {n}")


async def test_a_5xx_is_retried_with_backoff_until_it_succeeds(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    sub.statuses = [500, 503]
    spec = _subscription(topics, retry=2)
    await _publish(kafka, topics["in"], _event())
    task = await _run_worker(kafka, spec, url, topics)
    await _until(lambda: len(sub.received) == 3)
    await _until_committed(kafka, spec, topics, 1)
    task.cancel()
    assert len({e["id"] for e in sub.received}) == 1
    assert (
        await read_events(kafka, topics["dlq"], {TopicPartition(topics["dlq"], 0): 0}, timeout=1)
        == []
    )


async def test_a_400_goes_straight_to_the_dead_letter_topic_with_knative_error_extensions(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    sub.statuses = [400]
    spec = _subscription(topics, retry=3)
    original = _event()
    await _publish(kafka, topics["in"], original)
    task = await _run_worker(kafka, spec, url, topics)
    [(key, dead)] = await read_events(
        kafka, topics["dlq"], {TopicPartition(topics["dlq"], 0): 0}, timeout=20
    )
    await _until_committed(kafka, spec, topics, 1)
    task.cancel()
    assert len(sub.received) == 1
    assert dead["id"] == original["id"]
    assert key == b"customer-1"
    assert dead["knativeerrorcode"] == "400"
    assert dead["knativeerrordest"] == url
    assert base64.b64decode(dead["knativeerrordata"]) == b"status 400"
    assert dead["reason"] == "scripted"


async def test_exhausted_retries_dead_letter_the_event(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    sub.statuses = [503, 503, 503]
    spec = _subscription(topics, retry=2)
    await _publish(kafka, topics["in"], _event())
    task = await _run_worker(kafka, spec, url, topics)
    [(_, dead)] = await read_events(
        kafka, topics["dlq"], {TopicPartition(topics["dlq"], 0): 0}, timeout=20
    )
    task.cancel()
    assert len(sub.received) == 3
    assert dead["knativeerrorcode"] == "503"


async def test_an_unreachable_subscriber_is_retried_then_dead_lettered_without_a_code(
    kafka: str,
    topics: dict[str, str],
) -> None:
    spec = _subscription(topics, retry=1)
    await _publish(kafka, topics["in"], _event())
    task = await _run_worker(kafka, spec, f"http://127.0.0.1:{free_port()}/", topics)
    [(_, dead)] = await read_events(
        kafka, topics["dlq"], {TopicPartition(topics["dlq"], 0): 0}, timeout=20
    )
    task.cancel()
    assert dead.get("knativeerrorcode") is None
    assert dead["knativeerrordest"].startswith("http://127.0.0.1:")


async def test_a_trigger_delivers_only_matching_events_and_commits_the_rest(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    spec = _subscription(topics, ordered=False, filter={"channel": "web_form"})
    await _publish(
        kafka, topics["in"], _event(1, "email"), _event(2, "web_form"), _event(3, "whatsapp")
    )
    task = await _run_worker(kafka, spec, url, topics)
    await _until_committed(kafka, spec, topics, 3)
    task.cancel()
    assert [e.get_data()["n"] for e in sub.received] == [2]
