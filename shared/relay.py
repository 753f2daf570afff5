"""The outbox relay: publish what was committed, and re-publish what nobody handled in time.

Every producer writes its events to the outbox in the transaction of its effect and then calls
``publish_committed`` (or, to answer sooner, ``publish_soon``); a failed or slow publish is left
to ``sweep``, which the outbox-relay function runs on every ping. Re-publishing keeps the event
id, and every consumer is idempotent on it, so publishing twice is always safe; publishing
never is what must not happen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cloudevents.http import CloudEvent

from shared import tracing
from shared.config import get_settings
from shared.db import get_pool, idempotency, outbox
from shared.db.pool import Connection
from shared.observed import about_ticket_of
from shared.publisher import publish

R = TypeVar("R")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """An event on its way: its topic, and the claim whose existence means it was handled."""

    topic: str
    event: CloudEvent
    awaits: str | None = None


async def keep(conn: Connection, events: Sequence[Outgoing]) -> None:
    """Write the events to the outbox, inside the caller's transaction, in the current trace."""
    for out in events:
        tracing.stamp(out.event)
        about_ticket_of(out.event)
        await outbox.add(conn, out.topic, out.event, out.awaits)


async def publish_committed(events: Sequence[Outgoing]) -> int:
    """Publish events whose outbox rows just committed; what fails stays for the relay.

    Never raises: the effect is committed, and the caller's answer must say so.
    """
    published = await _publish_in_order([(e.topic, e.event) for e in events])
    if published:
        try:
            await outbox.mark_published(await get_pool(), published)
        except Exception as exc:  # the relay publishes them once more: harmless
            log.warning("outbox not marked published (%s)", type(exc).__name__)
    return len(published)


_in_background: set[asyncio.Task[int]] = set()


def publish_soon(events: Sequence[Outgoing]) -> None:
    """``publish_committed`` without waiting for it, for an answer that should go out at the
    commit (a webhook's 202): the events are safe in the outbox already, and what this process
    does not get to publish (it stops, the broker is slow) the relay publishes. Tasks start in
    call order, so one process's events keep the order they were committed in."""
    if not events:
        return
    task = asyncio.get_running_loop().create_task(publish_committed(events))
    _in_background.add(task)
    task.add_done_callback(_in_background.discard)


def publishing_now() -> int:
    """How many ``publish_soon`` calls of this process have not finished."""
    return len(_in_background)


async def drain() -> None:
    """Wait for every publish ``publish_soon`` started (in this process) to finish."""
    while _in_background:
        await asyncio.gather(*_in_background, return_exceptions=True)


async def _publish_in_order(records: Sequence[tuple[str, CloudEvent]]) -> list[str]:
    """Publish until the first failure (the rest keep their order for the relay); ids published."""
    timeout = get_settings().publish_timeout_seconds
    done: list[str] = []
    for topic, event in records:
        try:
            await asyncio.wait_for(publish(topic, event), timeout)
        except Exception as exc:
            log.warning(
                "event %s not published yet (%s): the outbox relay will publish it",
                event["id"],
                type(exc).__name__,
            )
            break
        done.append(str(event["id"]))
    return done


@dataclass(frozen=True)
class SweepReport:
    settled: int = 0
    published: int = 0
    redelivered: int = 0
    pruned: int = 0


async def sweep() -> SweepReport:
    """One pass of the relay: settle, publish the unpublished, re-publish the overdue, prune."""
    settings = get_settings()
    pool = await get_pool()
    async with pool.acquire() as conn:
        settled = await outbox.settle(conn)
        published = await _in_transaction(conn, _publish_unpublished)
        redelivered = await _in_transaction(conn, _redeliver_overdue)
        pruned = await outbox.prune(conn, settings.outbox_retention_seconds)
        pruned += await idempotency.prune(conn, settings.idempotency_retention_seconds)
    report = SweepReport(settled, published, redelivered, pruned)
    if published or redelivered:
        log.info("outbox sweep: %s", report)
    return report


async def _in_transaction(conn: Connection, step: Callable[[Connection], Awaitable[R]]) -> R:
    async with conn.transaction():
        return await step(conn)


async def _publish_unpublished(conn: Connection) -> int:
    settings = get_settings()
    rows = await outbox.unpublished(conn, settings.relay_grace_seconds, settings.relay_batch_size)
    done = await _publish_in_order([(r.topic, r.event) for r in rows])
    await outbox.mark_published(conn, done)
    return len(done)


async def _redeliver_overdue(conn: Connection) -> int:
    """Re-publish, with the same ids, what its consumer has not handled in time."""
    settings = get_settings()
    rows = await outbox.overdue(
        conn,
        settings.redeliver_after_seconds,
        settings.redeliver_max_seconds,
        settings.relay_batch_size,
    )
    done = await _publish_in_order([(r.topic, r.event) for r in rows])
    await outbox.mark_published(conn, done)
    return len(done)
