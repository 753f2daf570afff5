from shared.throttle import RateLimit, too_many


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_through_then_the_key_waits_for_the_refill() -> None:
    clock = Clock()
    limit = RateLimit(per_minute=60, burst=3, clock=clock)
    assert [limit.take("client-a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limit.take("client-a") == 1.0  # one token a second
    assert limit.take("client-b") == 0.0  # another key has its own bucket
    clock.now = 1.0
    assert limit.take("client-a") == 0.0
    assert limit.take("client-a") == 1.0


def test_looking_takes_nothing() -> None:
    limit = RateLimit(per_minute=60, burst=1, clock=Clock())
    assert limit.wait("k") == 0.0
    assert limit.take("k") == 0.0
    assert limit.wait("k") == 1.0


def test_memory_is_bounded_by_forgetting_the_least_recent_keys(monkeypatch: object) -> None:
    import shared.throttle

    shared.throttle.MAX_KEYS = 100  # type: ignore[misc]
    try:
        limit = RateLimit(per_minute=60, burst=1, clock=Clock())
        for n in range(1000):
            limit.take(f"client-{n}")
        assert len(limit.buckets) == 100
        assert "client-999" in limit.buckets and "client-0" not in limit.buckets
    finally:
        shared.throttle.MAX_KEYS = 10_000  # type: ignore[misc]


def test_429_says_when_to_come_back_in_whole_seconds() -> None:
    refused = too_many(1.2, "new tickets")
    assert refused.status == 429
    assert refused.headers == {"retry-after": "2"}
    assert "try again in 2 s" in refused.detail
