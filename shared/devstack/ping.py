"""PingSources, fired as Knative's ping adapter fires them: on their cron schedule, or every
``FTE_PING_INTERVAL`` seconds when that is set (Knative refuses ``@every``, so a schedule is a
minute at the least; tests and demos want it sooner)."""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from cloudevents.http import CloudEvent
from croniter import croniter

from events import catalog
from events.http import to_binary_http
from shared.devstack.activity import of_this_process
from shared.devstack.manifests import PingSource

log = logging.getLogger("dispatcher")
PING_TIMEOUT = 30.0


class Pinger:
    """A PingSource: a ``dev.knative.sources.ping`` event to its sink on every tick.

    A failed ping is logged, not retried: the next one comes anyway.
    """

    def __init__(
        self, ping: PingSource, url: str, client: httpx.AsyncClient, interval: float | None
    ):
        self.ping, self.url, self.client, self.interval = ping, url, client, interval

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = due + self.interval if self.interval else loop.time() + self._until_next()
            await asyncio.sleep(max(0.0, due - loop.time()))
            await self.fire()

    def _until_next(self) -> float:
        now = datetime.now(ZoneInfo(self.ping.timezone) if self.ping.timezone else UTC)
        following: datetime = croniter(self.ping.schedule, now).get_next(datetime)
        return max(0.0, (following - now).total_seconds())

    def event(self) -> CloudEvent:
        attributes = {"type": catalog.PING, "source": self.ping.source}
        if self.ping.content_type:
            attributes["datacontenttype"] = self.ping.content_type
        return CloudEvent.create(attributes, self.ping.data or None)

    async def fire(self) -> bool:
        """True when the sink took the ping (2xx)."""
        event = self.event()
        try:
            headers, body = to_binary_http(event)
            with of_this_process().request(self.ping.sink):
                response = await self.client.post(
                    self.url, headers=headers, content=body, timeout=PING_TIMEOUT
                )
        except Exception as exc:  # whatever it is, the next ping comes anyway
            log.warning("%s: ping %s failed (%s)", self.ping.name, event["id"], type(exc).__name__)
            return False
        if not 200 <= response.status_code < 300:
            log.warning(
                "%s: ping %s failed (status %s)", self.ping.name, event["id"], response.status_code
            )
            return False
        return True


def ping_interval() -> float | None:
    """``FTE_PING_INTERVAL`` seconds, which replaces every schedule (tests, demos); else None."""
    value = os.environ.get("FTE_PING_INTERVAL")
    if not value:
        return None
    if float(value) <= 0:
        raise ValueError(f"FTE_PING_INTERVAL must be a positive number of seconds, not {value}")
    return float(value)
