"""Delivers Kafka records to functions as Knative's KafkaSource and Kafka Broker Triggers do.

Per KNATIVE.md: binary-mode records go over HTTP in binary mode (``ce-*`` values
percent-encoded), structured ones pass through as structured; a record that is no CloudEvent
is wrapped as ``dev.knative.kafka.event`` for a KafkaSource and dead-lettered for a Trigger.
5xx, 404, 408, 409, 429 and connection errors are retried with the delivery spec's backoff;
any other status >= 300 goes straight to the dead-letter sink, with ``knativeerrordest``,
``knativeerrorcode`` and ``knativeerrordata`` added. An offset is committed only after success
or dead-lettering, and the dead-letter produce is retried until it succeeds.

Poison-proof: whatever goes wrong with one record is dead-lettered with a short reason and the
worker goes on; a broker error costs the consumer, which is recreated with a capped backoff
(what was not committed is delivered again: consumers are idempotent). PingSources fire from
here too (``ping.py``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import signal
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from cloudevents.http import CloudEvent

from events.http import to_binary_http
from events.kafka import NotACloudEvent, content_mode, from_record, knative_kafka_event, to_record
from shared import logs
from shared.devstack import dispatcher_metrics as metrics
from shared.devstack.activity import of_this_process
from shared.devstack.manifests import Manifests, Subscription, load
from shared.devstack.ping import Pinger, ping_interval

log = logging.getLogger("dispatcher")

RETRYABLE = {404, 408, 409, 429}
MAX_IN_FLIGHT = 50  # Knative's max.poll.records for unordered triggers
ERROR_DATA_LIMIT = 1024
COMMIT_INTERVAL = 0.2  # seconds; delivered offsets are committed together at most this often
# The broker holds an empty fetch this long; it does not answer early when a record arrives.
FETCH_MAX_WAIT_MS = int(os.environ.get("FTE_FETCH_MAX_WAIT_MS", "100"))
RECONNECT_DELAY, RECONNECT_MAX = 0.2, 5.0  # seconds: the consumer's backoff after a broker error
PRODUCE_DELAY, PRODUCE_MAX = 0.2, 5.0  # seconds: the dead-letter produce's backoff


def is_retryable(status: int | None) -> bool:
    """None stands for a connection error or a timeout."""
    return status is None or status >= 500 or status in RETRYABLE


def capped_backoff(failures: int, delay: float, cap: float) -> float:
    """``delay * 2^failures``, never more than ``cap``."""
    return min(cap, delay * float(2 ** min(failures, 32)))


@dataclass(frozen=True)
class Attempt:
    """One try: the HTTP status (None: no answer) and body; or a reason the dispatcher gives."""

    status: int | None
    body: bytes = b""
    headers: httpx.Headers | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Outgoing:
    """One record ready for HTTP: its event (to filter, log, dead-letter) and the request."""

    event: CloudEvent
    headers: dict[str, str]
    body: bytes


def matches(event: CloudEvent, filter_attributes: dict[str, str]) -> bool:
    """A Trigger's ``spec.filter.attributes``: every attribute equal, never the data."""
    return all(str(event.get(k)) == v for k, v in filter_attributes.items())


def _extension_name(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower()[4:])


def dead_lettered(event: CloudEvent, destination: str, attempt: Attempt) -> CloudEvent:
    """The event as Knative sends it to a dead-letter sink: the error extensions added."""
    attributes = {k: v for k, v in event.get_attributes().items() if k != "data"}
    attributes["knativeerrordest"] = destination
    if attempt.status is not None:
        attributes["knativeerrorcode"] = str(attempt.status)
    if attempt.body:
        attributes["knativeerrordata"] = base64.b64encode(attempt.body[:ERROR_DATA_LIMIT]).decode()
    for name, value in (attempt.headers or httpx.Headers()).items():
        if name.lower().startswith("kne-") and _extension_name(name):
            attributes[_extension_name(name)] = value
    return CloudEvent.create(attributes, event.get_data())


def _reason(exc: Exception) -> bytes:
    """What a dead letter says went wrong: the kind of error, never the record's content."""
    if isinstance(exc, NotACloudEvent):
        return b"dispatcher: not a CloudEvent"
    return f"dispatcher: {type(exc).__name__}".encode()


class SubscriptionWorker:
    """One consumer group delivering one subscription's records to its subscriber."""

    def __init__(
        self,
        sub: Subscription,
        url: str,
        bootstrap: str,
        sinks: dict[str, str],
        client: httpx.AsyncClient,
        producer: AIOKafkaProducer,
    ):
        self.sub, self.url, self.bootstrap = sub, url, bootstrap
        topic = sinks.get(sub.delivery.dead_letter_sink or "")
        if topic is None:
            raise ValueError(f"{sub.kind} {sub.name}: no dead-letter sink, events would be lost")
        self.dead_letter_topic = topic
        self.client, self.producer = client, producer
        self._reconnects = 0

    async def run(self) -> None:
        """Consume until cancelled; a broker error costs the consumer, never the worker."""
        while True:
            consumer, delay = self._consumer(), RECONNECT_DELAY
            try:
                await consumer.start()
                log.info(
                    "%s: consuming %s as %s",
                    self.sub.name,
                    self.sub.topics,
                    self.sub.consumer_group,
                )
                await self._consume(consumer)
            except Exception as exc:
                delay = capped_backoff(self._reconnects, RECONNECT_DELAY, RECONNECT_MAX)
                self._reconnects += 1
                log.warning(
                    "%s: consumer failed (%s), reconnecting in %.2fs",
                    self.sub.name,
                    type(exc).__name__,
                    delay,
                )
            finally:
                await _stop_quietly(consumer)
            await asyncio.sleep(delay)

    def _consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *self.sub.topics,
            bootstrap_servers=self.bootstrap,
            group_id=self.sub.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset=self.sub.initial_offset,
            max_poll_interval_ms=5000,
            session_timeout_ms=10000,
            heartbeat_interval_ms=1000,
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        in_flight: dict[TopicPartition, asyncio.Task[int]] = {}
        done: dict[TopicPartition, int] = {}  # delivered, offset not committed yet
        last_commit = 0.0
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=100, max_records=MAX_IN_FLIGHT)
                self._reconnects = 0
                for tp, records in batches.items():
                    consumer.pause(tp)  # keep polling (and heartbeating) while we deliver
                    in_flight[tp] = asyncio.create_task(self._deliver_batch(records))
                for tp, task in list(in_flight.items()):
                    if task.done():
                        del in_flight[tp]
                        done[tp] = task.result()
                        if tp in consumer.assignment():
                            consumer.resume(tp)
                now = asyncio.get_running_loop().time()
                if done and (not in_flight or now - last_commit >= COMMIT_INTERVAL):
                    # One commit for every finished partition: the group's offsets are one
                    # object in the broker's store, so fewer, larger commits contend less.
                    owned = {tp: o for tp, o in done.items() if tp in consumer.assignment()}
                    if owned:
                        await consumer.commit(owned)
                    done.clear()
                    last_commit = now
                if not batches and in_flight:
                    await asyncio.wait(
                        in_flight.values(), timeout=0.05, return_when=asyncio.FIRST_COMPLETED
                    )
        finally:
            for task in in_flight.values():
                task.cancel()
            await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _deliver_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> int:
        if self.sub.ordered:
            for record in records:
                await self._deliver_record(record)
        else:
            await asyncio.gather(*(self._deliver_record(r) for r in records))
        return int(records[-1].offset) + 1

    async def _deliver_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Deliver or dead-letter: nothing that goes wrong here reaches the consumer loop."""
        event: CloudEvent | None = None
        try:
            outgoing = self._outgoing(record)
            event = outgoing.event
            if not matches(event, self.sub.filter):
                return
            attempt = await self._send_with_retries(outgoing)
            if attempt.succeeded:
                metrics.delivered(self.sub.name)
                return
        except Exception as exc:
            log.error(
                "%s: record partition %s offset %s failed in the dispatcher (%s)",
                self.sub.name,
                record.partition,
                record.offset,
                type(exc).__name__,
            )
            attempt = Attempt(None, _reason(exc))
        await self._dead_letter(record, event, attempt)

    def _outgoing(self, record: ConsumerRecord[bytes, bytes]) -> Outgoing:
        """The HTTP request for a record: structured stays structured, the rest goes binary."""
        headers, value = list(record.headers), record.value or b""
        try:
            event = from_record(record.key, value, headers)
        except NotACloudEvent:
            if self.sub.kind != "KafkaSource":
                raise  # a broker only holds CloudEvents
            event = self._wrapped(record)
            return Outgoing(event, *to_binary_http(event))
        if content_mode(headers) == "structured":
            content_type = next(v for k, v in headers if k.lower() == "content-type")
            return Outgoing(event, {"content-type": content_type.decode()}, value)
        return Outgoing(event, *to_binary_http(event))

    def _wrapped(self, record: ConsumerRecord[bytes, bytes]) -> CloudEvent:
        return knative_kafka_event(
            source=f"{self.sub.source}#{record.topic}",
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp,
            key=record.key,
            value=record.value,
            headers=list(record.headers),
        )

    async def _send_with_retries(self, outgoing: Outgoing) -> Attempt:
        delivery, number = self.sub.delivery, 1
        while True:
            attempt = await self._send(outgoing)
            if attempt.succeeded:
                return attempt
            failed = (self.sub.name, outgoing.event["id"], number, attempt.status)
            if not is_retryable(attempt.status):
                log.warning("%s: event %s attempt %d failed (status %s), not retried", *failed)
                return attempt
            if number > delivery.retry:
                log.warning(
                    "%s: event %s attempt %d failed (status %s), retries exhausted", *failed
                )
                return attempt
            delay = delivery.backoff(number)
            log.warning(
                "%s: event %s attempt %d failed (status %s), retry %d/%d in %.2fs",
                *failed,
                number,
                delivery.retry,
                delay,
            )
            metrics.retried(self.sub.name)
            await asyncio.sleep(delay)
            number += 1

    async def _send(self, outgoing: Outgoing) -> Attempt:
        try:
            with of_this_process().request(self.sub.subscriber):
                response = await self.client.post(
                    self.url,
                    headers=outgoing.headers,
                    content=outgoing.body,
                    timeout=self.sub.delivery.timeout,
                )
        except httpx.HTTPError as exc:
            log.debug("%s: %s: %s", self.sub.name, self.sub.subscriber, type(exc).__name__)
            return Attempt(None)
        return Attempt(response.status_code, response.content, response.headers)

    def _dead_letter_record(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent | None, attempt: Attempt
    ) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]]:
        try:
            return to_record(dead_lettered(event or self._wrapped(record), self.url, attempt))
        except Exception as exc:  # an event the binding cannot write: its record, wrapped, can
            reason = Attempt(attempt.status, _reason(exc))
            return to_record(dead_lettered(self._wrapped(record), self.url, reason))

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent | None, attempt: Attempt
    ) -> None:
        """Produce to the dead-letter topic, retrying until it works: the offset waits for it."""
        key, value, headers = self._dead_letter_record(record, event, attempt)
        wrapped_id = f"partition:{record.partition}/offset:{record.offset}"
        event_id = event["id"] if event is not None else wrapped_id
        failures = 0
        while True:
            try:
                await self.producer.send_and_wait(
                    self.dead_letter_topic, value, key=key, headers=headers
                )
                break
            except Exception as exc:
                delay = capped_backoff(failures, PRODUCE_DELAY, PRODUCE_MAX)
                failures += 1
                log.error(
                    "%s: dead-letter produce of event %s failed (%s), retry in %.2fs",
                    self.sub.name,
                    event_id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        metrics.dead_lettered(self.sub.name)
        log.warning(
            "%s: event %s dead-lettered to %s (status %s)",
            self.sub.name,
            event_id,
            self.dead_letter_topic,
            attempt.status,
        )


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer whose broker may be gone: bounded, and its errors only logged."""
    try:
        await asyncio.wait_for(consumer.stop(), 10)
    except Exception as exc:
        log.info("consumer stop: %s", type(exc).__name__)


async def _started_producer(bootstrap: str) -> AIOKafkaProducer:
    """A started producer, waiting out a broker that is not up yet."""
    failures = 0
    while True:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        try:
            await producer.start()
            return producer
        except Exception as exc:
            await producer.stop()
            delay = capped_backoff(failures, RECONNECT_DELAY, RECONNECT_MAX)
            failures += 1
            log.warning("producer start failed (%s), retry in %.2fs", type(exc).__name__, delay)
            await asyncio.sleep(delay)


async def serve(
    manifests: Manifests,
    subscribers: dict[str, str],
    bootstrap: str,
    metrics_port: int | None = None,
) -> None:
    """Run every subscription and PingSource whose subscriber is up, until cancelled; with a
    port, serve the dispatcher's metrics there too."""
    producer = await _started_producer(bootstrap)
    interval = ping_interval()
    running = [sub for sub in manifests.subscriptions if sub.subscriber in subscribers]
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
        runs: list[Coroutine[Any, Any, None]] = [
            SubscriptionWorker(
                sub, subscribers[sub.subscriber], bootstrap, manifests.sinks, client, producer
            ).run()
            for sub in running
        ] + [
            Pinger(ping, subscribers[ping.sink], client, interval).run()
            for ping in manifests.ping_sources
            if ping.sink in subscribers
        ]
        if metrics_port is not None:
            groups = {sub.consumer_group: sub.name for sub in running}
            runs.append(metrics.serve_metrics(metrics.metrics_app(bootstrap, groups), metrics_port))
        try:
            await asyncio.gather(*runs)
        finally:
            with contextlib.suppress(Exception):
                await producer.stop()


def main() -> None:
    """Entry point of the dispatcher process: FTE_BOOTSTRAP and FTE_SUBSCRIBERS (JSON name → URL);
    FTE_METRICS_PORT, if set, serves its /metrics."""
    logs.configure("dispatcher", level=os.environ.get("FTE_LOG_LEVEL", "INFO"))
    subscribers = json.loads(os.environ["FTE_SUBSCRIBERS"])

    async def run() -> None:
        port = os.environ.get("FTE_METRICS_PORT")
        task = asyncio.create_task(
            serve(load(), subscribers, os.environ["FTE_BOOTSTRAP"], int(port) if port else None)
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            log.info("dispatcher stopped")

    asyncio.run(run())


if __name__ == "__main__":
    main()
