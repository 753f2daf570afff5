"""shared.channel_metrics.parse_since: the window's start, or a 400 that says what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.channel_metrics import parse_since
from shared.http_api import BadRequest

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "start"),
    [
        (None, NOW - timedelta(hours=24)),
        ("", NOW - timedelta(hours=24)),
        ("90s", NOW - timedelta(seconds=90)),
        ("30m", NOW - timedelta(minutes=30)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-03-01T10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01T11:00:00+01:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-02-28", datetime(2026, 2, 28, tzinfo=UTC)),
    ],
)
def test_a_time_or_a_duration_gives_the_windows_start(since: str | None, start: datetime) -> None:
    assert parse_since(since, NOW) == start


def test_a_time_without_offset_is_read_as_utc() -> None:
    assert parse_since("2026-03-01T10:00:00", NOW).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "since", ["soon", "1w", "1.5h", "-1h", "2026-13-01", "2026-03-02T00:00:00Z", "9999999d"]
)
def test_anything_else_is_a_400_naming_since(since: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_since(since, NOW)
    assert refused.value.status == 400
    assert refused.value.detail.startswith("since: ")
