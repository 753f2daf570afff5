"""Delivers Kafka records to functions as Knative's KafkaSource and Kafka Broker Triggers do.

Per KNATIVE.md: CloudEvents over HTTP (binary mode); 5xx, 404, 408, 409, 429 and connection
errors are retried with the delivery spec's backoff; any other status >= 300 goes straight to
the dead-letter sink, with ``knativeerrordest``, ``knativeerrorcode`` and ``knativeerrordata``
added; an offset is committed only after success or dead-lettering. Ordered subscriptions
deliver one record at a time per partition; unordered ones deliver a batch concurrently.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

from events.kafka import from_record, to_record
from shared.devstack.manifests import Manifests, Subscription, load

log = logging.getLogger("dispatcher")

RETRYABLE = {404, 408, 409, 429}
MAX_IN_FLIGHT = 50  # Knative's max.poll.records for unordered triggers
ERROR_DATA_LIMIT = 1024
COMMIT_INTERVAL = 0.2  # seconds; delivered offsets are committed together at most this often
# The broker holds an empty fetch this long; it does not answer early when a record arrives.
FETCH_MAX_WAIT_MS = int(os.environ.get("FTE_FETCH_MAX_WAIT_MS", "100"))


def is_retryable(status: int | None) -> bool:
    """None stands for a connection error or a timeout."""
    return status is None or status >= 500 or status in RETRYABLE


@dataclass(frozen=True)
class Attempt:
    status: int | None
    body: bytes = b""
    headers: httpx.Headers | None = None


def matches(event: CloudEvent, filter_attributes: dict[str, str]) -> bool:
    """A Trigger's ``spec.filter.attributes``: every attribute equal, never the data."""
    return all(str(event.get(k)) == v for k, v in filter_attributes.items())


def dead_lettered(event: CloudEvent, destination: str, attempt: Attempt) -> CloudEvent:
    """The event as Knative sends it to a dead-letter sink: the error extensions added."""
    attributes = {k: v for k, v in event.get_attributes().items() if k != "data"}
    attributes["knativeerrordest"] = destination
    if attempt.status is not None:
        attributes["knativeerrorcode"] = str(attempt.status)
    if attempt.body:
        attributes["knativeerrordata"] = base64.b64encode(attempt.body[:ERROR_DATA_LIMIT]).decode()
    for name, value in (attempt.headers or httpx.Headers()).items():
        if name.lower().startswith("kne-"):
            attributes[name.lower()[4:]] = value
    return CloudEvent.create(attributes, event.get_data())


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
        self.dead_letter_topic = sinks.get(sub.delivery.dead_letter_sink or "")
        self.client, self.producer = client, producer

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(
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
        await consumer.start()
        log.info("%s: consuming %s as %s", self.sub.name, self.sub.topics, self.sub.consumer_group)
        in_flight: dict[TopicPartition, asyncio.Task[int]] = {}
        done: dict[TopicPartition, int] = {}  # delivered, offset not committed yet
        last_commit = 0.0
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=100, max_records=MAX_IN_FLIGHT)
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
            await consumer.stop()

    async def _deliver_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> int:
        if self.sub.ordered:
            for record in records:
                await self._deliver_record(record)
        else:
            await asyncio.gather(*(self._deliver_record(r) for r in records))
        return int(records[-1].offset) + 1

    async def _deliver_record(self, record: ConsumerRecord[bytes, bytes]) -> None:
        try:
            event = from_record(record.key, record.value or b"", list(record.headers))
        except Exception as exc:  # not a CloudEvent: Knative would reject it; keep it visible
            log.error(
                "%s: record %s@%s is not a CloudEvent: %s",
                self.sub.name,
                record.partition,
                record.offset,
                exc,
            )
            return
        if not matches(event, self.sub.filter):
            return
        attempt = await self._send_with_retries(event)
        if attempt.status is not None and 200 <= attempt.status < 300:
            return
        await self._dead_letter(event, attempt)

    async def _send_with_retries(self, event: CloudEvent) -> Attempt:
        delivery = self.sub.delivery
        retry = 0
        while True:
            attempt = await self._send(event)
            if attempt.status is not None and 200 <= attempt.status < 300:
                return attempt
            if not is_retryable(attempt.status) or retry >= delivery.retry:
                return attempt
            log.info(
                "%s: event %s got %s, retry %d/%d",
                self.sub.name,
                event["id"],
                attempt.status,
                retry + 1,
                delivery.retry,
            )
            await asyncio.sleep(delivery.backoff(retry + 1))
            retry += 1

    async def _send(self, event: CloudEvent) -> Attempt:
        headers, body = to_binary(event, data_marshaller=_raw)
        try:
            response = await self.client.post(
                self.url, headers=headers, content=body, timeout=self.sub.delivery.timeout
            )
        except httpx.HTTPError as exc:
            log.info(
                "%s: %s unreachable: %s", self.sub.name, self.sub.subscriber, type(exc).__name__
            )
            return Attempt(None)
        return Attempt(response.status_code, response.content, response.headers)

    async def _dead_letter(self, event: CloudEvent, attempt: Attempt) -> None:
        if self.dead_letter_topic is None:
            log.error(
                "%s: event %s failed with %s and no dead-letter sink: dropped",
                self.sub.name,
                event["id"],
                attempt.status,
            )
            return
        failed = dead_lettered(event, self.url, attempt)
        key, value, headers = to_record(failed)
        for retry in range(5):
            try:
                await self.producer.send_and_wait(
                    self.dead_letter_topic, value, key=key, headers=headers
                )
                log.warning(
                    "%s: event %s dead-lettered to %s (status %s)",
                    self.sub.name,
                    event["id"],
                    self.dead_letter_topic,
                    attempt.status,
                )
                return
            except Exception as exc:
                log.error(
                    "%s: dead-letter produce failed (%s), retry %d", self.sub.name, exc, retry
                )
                await asyncio.sleep(0.2 * 2**retry)
        log.error("%s: event %s lost: the dead-letter sink failed", self.sub.name, event["id"])


def _raw(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    return json.dumps(data).encode()


async def serve(manifests: Manifests, subscribers: dict[str, str], bootstrap: str) -> None:
    """Run every subscription whose subscriber is up, until cancelled."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200)) as client:
        workers = [
            SubscriptionWorker(
                sub, subscribers[sub.subscriber], bootstrap, manifests.sinks, client, producer
            )
            for sub in manifests.subscriptions
            if sub.subscriber in subscribers
        ]
        try:
            await asyncio.gather(*(w.run() for w in workers))
        finally:
            await producer.stop()


def main() -> None:
    """Entry point of the dispatcher process: FTE_BOOTSTRAP and FTE_SUBSCRIBERS (JSON name → URL)."""
    logging.basicConfig(
        level=os.environ.get("FTE_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    subscribers = json.loads(os.environ["FTE_SUBSCRIBERS"])

    async def run() -> None:
        task = asyncio.create_task(serve(load(), subscribers, os.environ["FTE_BOOTSTRAP"]))
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
