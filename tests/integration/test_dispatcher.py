"""The dev dispatcher against the real broker, delivering to a recording subscriber over HTTP."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from cloudevents.http import CloudEvent, from_http
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.catalog import PING as PING_TYPE
from events.http import percent_decoded
from events.kafka import KAFKA_EVENT_TYPE, NotACloudEvent, from_record, to_record
from shared.devstack.broker import create_topics, start_tansu
from shared.devstack.dispatcher import SubscriptionWorker, is_retryable, serve
from shared.devstack.manifests import Delivery, Manifests, PingSource, Subscription
from shared.devstack.ping import Pinger
from shared.devstack.ports import free_port
from tests.kafka_reading import read_events


@dataclass
class Subscriber:
    """Answers with the scripted statuses in turn (then 200) and records what it received."""

    statuses: list[int] = field(default_factory=list)
    received: list[CloudEvent] = field(default_factory=list)
    content_modes: list[str] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.arrivals.append(time.monotonic())
        self.requests.append((dict(request.headers), body))
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
    kind: Literal["KafkaSource", "Trigger"] = "KafkaSource",
    delay: float = 0.05,
) -> Subscription:
    return Subscription(
        name="test",
        kind=kind,
        topics=[topics["in"]],
        consumer_group=f"group-{uuid.uuid4().hex[:8]}",
        subscriber="subscriber",
        ordered=ordered,
        initial_offset="earliest",
        filter=filter or {},
        delivery=Delivery(
            retry=retry,
            backoff_policy="exponential",
            backoff_delay=delay,
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
    assert [e.get_data() for e in sub.received] == [{"n": n} for n in range(5)]
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
    assert [e.get_data() for e in sub.received] == [{"n": 2}]


async def _produce_raw(
    kafka: str,
    topic: str,
    value: bytes | None,
    *,
    key: bytes | None,
    headers: list[tuple[str, bytes]],
) -> tuple[int, int]:
    """Produce a record as some other system would; (partition, offset) it landed at."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(topic, value, key=key, headers=headers)
        return meta.partition, meta.offset
    finally:
        await producer.stop()


async def _dead_letters(kafka: str, topics: dict[str, str], count: int = 1) -> list[CloudEvent]:
    found = await read_events(
        kafka, topics["dlq"], {TopicPartition(topics["dlq"], 0): 0}, count=count, timeout=20
    )
    return [event for _, event in found]


def test_a_record_in_neither_binding_mode_is_not_a_cloudevent() -> None:
    with pytest.raises(NotACloudEvent):
        from_record(b"k", b"hello", [("content-type", b"text/plain")])
    with pytest.raises(NotACloudEvent):
        from_record(None, b"[1]", [("content-type", b"application/cloudevents+json")])
    with pytest.raises(NotACloudEvent, match="ce_id"):
        from_record(None, b"", [("ce_specversion", b"1.0"), ("ce_type", b"t")])


def test_a_worker_refuses_a_subscription_without_a_dead_letter_sink(
    topics: dict[str, str],
) -> None:
    with pytest.raises(ValueError, match="KafkaSource test"):
        SubscriptionWorker(
            _subscription(topics),
            "http://127.0.0.1:1/",
            "127.0.0.1:1",
            {},
            None,  # type: ignore[arg-type]
            None,
        )


async def test_a_non_ascii_attribute_travels_percent_encoded_and_decodes_back(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    event = _event()
    event["sender"] = "josé@bücher.example"
    event["subject"] = 'a "quoted" 100% subject'
    await _publish(kafka, topics["in"], event)
    task = await _run_worker(kafka, _subscription(topics), url, topics)
    await _until(lambda: len(sub.received) == 1)
    task.cancel()
    headers, _ = sub.requests[0]
    assert headers["ce-sender"] == "jos%C3%A9@b%C3%BCcher.example"
    assert headers["ce-subject"] == "a%20%22quoted%22%20100%25%20subject"
    received = percent_decoded(sub.received[0])
    assert received["sender"] == "josé@bücher.example"
    assert received["subject"] == 'a "quoted" 100% subject'
    assert received.get_data() == {"n": 0}


async def test_a_structured_record_is_passed_through_as_structured_unchanged(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    value = json.dumps(
        {
            "specversion": "1.0",
            "id": "structured-1",
            "type": "test.event",
            "source": "/elsewhere",
            "datacontenttype": "application/json",
            "data": {"name": "José"},
        },
        ensure_ascii=False,
    ).encode()
    content_type = b"application/cloudevents+json; charset=utf-8"
    await _produce_raw(
        kafka, topics["in"], value, key=b"customer-2", headers=[("content-type", content_type)]
    )
    task = await _run_worker(kafka, _subscription(topics), url, topics)
    await _until(lambda: len(sub.received) == 1)
    task.cancel()
    headers, body = sub.requests[0]
    assert sub.content_modes == ["structured"]
    assert headers["content-type"] == content_type.decode()
    assert body == value
    assert sub.received[0]["id"] == "structured-1"


async def test_a_plain_record_reaches_a_kafka_source_wrapped_as_knative_wraps_it(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    partition, offset = await _produce_raw(
        kafka,
        topics["in"],
        b"hello",
        key=b"k1",
        headers=[("content-type", b"Text/Plain"), ("X-Trace", b"abc")],
    )
    task = await _run_worker(kafka, _subscription(topics), url, topics)
    await _until(lambda: len(sub.received) == 1)
    task.cancel()
    event = sub.received[0]
    assert event["type"] == KAFKA_EVENT_TYPE
    assert event["source"] == f"/apis/v1/namespaces/default/kafkasources/test#{topics['in']}"
    assert event["id"] == f"partition:{partition}/offset:{offset}"
    assert event["subject"] == f"partition:{partition}#{offset}"
    assert (event["key"], event["partitionkey"]) == ("k1", "k1")
    assert event["datacontenttype"] == "text/plain"
    assert event["kafkaheaderxtrace"] == "abc"
    assert sub.requests[0][1] == b"hello"


async def test_a_plain_record_on_a_trigger_is_dead_lettered_with_a_reason_and_committed(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    spec = _subscription(topics, kind="Trigger", ordered=False)
    await _produce_raw(kafka, topics["in"], b"secret text", key=b"k1", headers=[])
    task = await _run_worker(kafka, spec, url, topics)
    [dead] = await _dead_letters(kafka, topics)
    await _until_committed(kafka, spec, topics, 1)
    task.cancel()
    assert sub.received == []
    assert dead["type"] == KAFKA_EVENT_TYPE
    assert dead["source"].startswith("/apis/v1/namespaces/default/triggers/test#")
    assert dead.get("knativeerrorcode") is None
    assert base64.b64decode(dead["knativeerrordata"]) == b"dispatcher: not a CloudEvent"


async def test_an_event_the_dispatcher_cannot_send_is_dead_lettered_and_the_next_delivered(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    spec = _subscription(topics)
    poison = CloudEvent.create(
        {
            "type": "test.event",
            "source": "/test",
            "partitionkey": "customer-1",
            "datacontenttype": "text/plaîn",  # not a valid HTTP header value
        },
        b"x",
    )
    await _publish(kafka, topics["in"], poison, _event(1))
    task = await _run_worker(kafka, spec, url, topics)
    [dead] = await _dead_letters(kafka, topics)
    await _until(lambda: len(sub.received) == 1)
    await _until_committed(kafka, spec, topics, 2)
    assert not task.done()
    task.cancel()
    assert dead["id"] == poison["id"]
    assert base64.b64decode(dead["knativeerrordata"]) == b"dispatcher: UnicodeEncodeError"
    assert sub.received[0].get_data() == {"n": 1}


@dataclass
class GarbageServer:
    """Speaks something that is not HTTP to the first ``garbage`` connections, then 200."""

    garbage: int
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            ),
            0,
        )
        await reader.readexactly(length)
        if self.connections <= self.garbage:
            writer.write(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_a_subscriber_answering_garbage_costs_the_event_a_dead_letter_not_the_worker(
    kafka: str,
    topics: dict[str, str],
) -> None:
    garbage = GarbageServer(garbage=2)
    server = await asyncio.start_server(garbage.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    spec = _subscription(topics, retry=1)
    first, second = _event(1), _event(2)
    await _publish(kafka, topics["in"], first, second)
    task = await _run_worker(kafka, spec, f"http://127.0.0.1:{port}/", topics)
    [dead] = await _dead_letters(kafka, topics)
    await _until_committed(kafka, spec, topics, 2)
    assert not task.done()
    task.cancel()
    server.close()
    assert dead["id"] == first["id"]
    assert dead.get("knativeerrorcode") is None
    assert garbage.connections == 3  # two garbage answers for the first, one 200 for the second


async def test_the_retry_delays_are_the_delay_times_two_to_the_retry(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sub, url = subscriber
    sub.statuses = [503, 503, 503]
    spec = _subscription(topics, retry=3, delay=0.1)
    event = _event()
    await _publish(kafka, topics["in"], event)
    with caplog.at_level(logging.WARNING, logger="dispatcher"):
        task = await _run_worker(kafka, spec, url, topics)
        await _until(lambda: len(sub.received) == 4)
        task.cancel()
    failures = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert failures == [
        f"test: event {event['id']} attempt 1 failed (status 503), retry 1/3 in 0.20s",
        f"test: event {event['id']} attempt 2 failed (status 503), retry 2/3 in 0.40s",
        f"test: event {event['id']} attempt 3 failed (status 503), retry 3/3 in 0.80s",
    ]
    gaps = [b - a for a, b in zip(sub.arrivals, sub.arrivals[1:], strict=False)]
    for k, gap in enumerate(gaps, start=1):
        expected = 0.1 * 2**k  # 0.2, 0.4, 0.8: Knative's first retry already waits delay*2
        assert expected <= gap < expected + 1.0, (k, gaps)


async def test_deliveries_resume_after_the_broker_restarts(
    tmp_path: Path,
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    port = free_port()
    broker, bootstrap = start_tansu(tmp_path, tmp_path, s3_endpoint=None, port=port)
    topics = {"in": "restart.in", "dlq": "restart.dlq"}
    try:
        await create_topics(bootstrap, {topics["in"]: 2, topics["dlq"]: 1})
        task = await _run_worker(bootstrap, _subscription(topics), url, topics)
        await _publish(bootstrap, topics["in"], _event(1))
        await _until(lambda: len(sub.received) == 1)
        broker.stop()
        broker, _ = start_tansu(tmp_path, tmp_path, s3_endpoint=None, port=port)
        await create_topics(bootstrap, {topics["in"]: 2, topics["dlq"]: 1})  # memory: all gone
        await _publish(bootstrap, topics["in"], _event(2))
        await _until(lambda: any(e.get_data() == {"n": 2} for e in sub.received), timeout=90)
        assert not task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # the consumer leaves while its broker is still there
    finally:
        broker.stop()


def test_a_cron_ping_waits_for_its_next_minute() -> None:
    ping = PingSource(name="p", schedule="* * * * *", sink="relay", timezone="Europe/Paris")
    assert 0 <= Pinger(ping, "http://127.0.0.1:1/", None, None)._until_next() <= 60  # type: ignore[arg-type]


async def test_a_ping_source_fires_every_fte_ping_interval_with_its_data(
    kafka: str,
    subscriber: tuple[Subscriber, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sub, url = subscriber
    sub.statuses = [503]  # a failed ping is logged, and the next one comes anyway
    monkeypatch.setenv("FTE_PING_INTERVAL", "0.3")
    ping = PingSource(
        name="relay-ping",
        schedule="* * * * *",
        sink="relay",
        data=b'{"task":"sweep"}',
        content_type="application/json",
    )
    task = asyncio.create_task(serve(Manifests(ping_sources=[ping]), {"relay": url}, kafka))
    await _until(lambda: len(sub.received) >= 3, timeout=10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert {e["type"] for e in sub.received} == {PING_TYPE}
    assert {e["source"] for e in sub.received} == {
        "/apis/v1/namespaces/default/pingsources/relay-ping"
    }
    assert len({e["id"] for e in sub.received}) == len(sub.received)
    assert sub.received[0].get_data() == {"task": "sweep"}
    assert sub.requests[0][0]["content-type"] == "application/json"
    gaps = [b - a for a, b in zip(sub.arrivals, sub.arrivals[1:], strict=False)]
    assert all(0.15 < gap < 1.5 for gap in gaps), gaps


async def _scrape(url: str, timeout: float = 20.0) -> dict[tuple[str, str], float]:
    """The dispatcher's metrics by (name, route), once its metrics port answers."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(url)
                break
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.05)
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            outcome = s.labels.get("outcome")
            name = f"{s.name}:{outcome}" if outcome else s.name
            samples[(name, s.labels.get("route", ""))] = s.value
    return samples


async def test_the_dispatcher_serves_deliveries_dead_letters_retries_and_lag_per_route(
    kafka: str,
    topics: dict[str, str],
    subscriber: tuple[Subscriber, str],
) -> None:
    sub, url = subscriber
    sub.statuses = [500, 200, 400]  # the first event once retried, the second dead-lettered
    spec = dataclasses.replace(_subscription(topics, retry=2), name=f"route-{uuid.uuid4().hex[:6]}")
    await _publish(kafka, topics["in"], _event(0), _event(1))
    port = free_port()
    manifests = Manifests(subscriptions=[spec], sinks={"dlq": topics["dlq"]})
    task = asyncio.create_task(serve(manifests, {"subscriber": url}, kafka, metrics_port=port))
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    try:
        first = await _scrape(metrics_url)
        await _until(lambda: len(sub.received) == 3)
        await _until_committed(kafka, spec, topics, 2)
        after = await _scrape(metrics_url)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    route = spec.name
    assert first[("fte_dispatcher_deliveries_total:delivered", route)] == 0  # shown from the start
    assert after[("fte_dispatcher_deliveries_total:delivered", route)] == 1
    assert after[("fte_dispatcher_deliveries_total:dead_lettered", route)] == 1
    assert after[("fte_dispatcher_retries_total", route)] == 1
    assert after[("fte_dispatcher_lag_records", route)] == 0  # both committed
