"""Rate limits at the HTTP edges: a token bucket per key, in this process (so per replica).

In-process on purpose: no round trip on the hot path, memory bounded (the least recently seen
keys are forgotten first), and with N replicas a client gets at most N times the limit, which
is what a limit against abuse needs (it is not a quota). Keys are a client's address or a
ticket number, never personal data.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from shared.config import get_settings
from shared.http_api import BadRequest

MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """``per_minute`` on average, up to ``burst`` at once, for each key."""

    def __init__(self, per_minute: float, burst: int, clock: object = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _bucket(self, key: str) -> _Bucket:
        now = self.clock()  # type: ignore[operator]
        bucket = self.buckets.pop(key, None) or _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self.buckets[key] = bucket
        while len(self.buckets) > MAX_KEYS:
            self.buckets.popitem(last=False)
        return bucket

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may go again; 0 when it may go now (without taking a token)."""
        bucket = self._bucket(key)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.rate

    def take(self, key: str) -> float:
        """Take a token: 0 when taken, else the seconds until one is there (nothing taken)."""
        waiting = self.wait(key)
        if waiting == 0.0:
            self.buckets[key].tokens -= 1
        return waiting


def too_many(retry_after: float, what: str) -> BadRequest:
    seconds = max(1, math.ceil(retry_after))
    return BadRequest(
        429, f"too many {what}: try again in {seconds} s", headers={"retry-after": str(seconds)}
    )


def client_of(request: Request) -> str:
    """The client's address: the last hop the gateway added to X-Forwarded-For, else the peer."""
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    if hops:
        return hops[-1]
    return request.client.host if request.client else "unknown"


@lru_cache(maxsize=1)
def limits() -> dict[str, RateLimit]:
    """The process's limits, from configuration (read on first use)."""
    s = get_settings()
    return {
        "forms": RateLimit(s.forms_per_minute, s.forms_burst),
        "follow_ups": RateLimit(s.follow_ups_per_minute, s.follow_ups_burst),
        "lookups": RateLimit(s.lookups_per_minute, s.lookups_burst),
        "failed_lookups": RateLimit(s.failed_lookups_per_minute, s.failed_lookups_burst),
        "sign_ins": RateLimit(s.sign_ins_per_minute, s.sign_ins_burst),
    }


def take(limit: str, key: str, what: str) -> None:
    """Raise 429 with Retry-After when ``key`` is over ``limit``."""
    waiting = limits()[limit].take(key)
    if waiting:
        raise too_many(waiting, what)


def check(limit: str, key: str, what: str) -> None:
    """Like ``take``, but only looks (for limits charged afterwards, on failure)."""
    waiting = limits()[limit].wait(key)
    if waiting:
        raise too_many(waiting, what)


def spend(limit: str, key: str) -> None:
    """Charge ``key`` after the fact (a failed lookup); the next ``check`` answers for it."""
    limits()[limit].take(key)


def unthrottled() -> dict[str, str]:
    """Settings that lift every per-client limit: for load that all comes from one address
    (benchmarks, the fault suite, end-to-end tests), where throttling is not what is measured."""
    return {
        f"{limit.upper()}_{suffix}": "100000"
        for limit in ("forms", "follow_ups", "lookups", "failed_lookups", "sign_ins")
        for suffix in ("PER_MINUTE", "BURST")
    }
