"""shared.metrics: label values stay bounded whatever a request or an event carries."""

from __future__ import annotations

import pytest
from cloudevents.http import CloudEvent

from events import catalog
from shared import metrics


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/v1/tickets/TKT-0001", "/api/v1/tickets/{id}"),
        ("/api/v1/tickets/tkt-0001/messages/", "/api/v1/tickets/{id}/messages"),
        ("/api/v1/staff/tickets/TKT-12/assign", "/api/v1/staff/tickets/{id}/assign"),
        ("/api/v1/health", "/api/v1/health"),
        ("/", "/"),
        ("/a/b/c/d/e/f/g/h", "/a/b/c/d/e/f/…"),
        ("/api/v1/webhooks/whatsapp%0Astatus", "/api/v1/webhooks/{id}"),
    ],
)
def test_a_path_becomes_its_route_template(path: str, route: str) -> None:
    assert metrics.route_of(path) == route


def _word(n: int) -> str:
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters += chr(97 + digit)
        if n == 0:
            return letters


def test_past_the_limit_a_new_route_is_other_and_known_ones_stay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(metrics, "_routes", set())
    first = [metrics.route_of(f"/scan/{_word(n)}") for n in range(metrics.MAX_ROUTES)]
    assert len(set(first)) == metrics.MAX_ROUTES and "other" not in first
    assert metrics.route_of(f"/scan/{_word(metrics.MAX_ROUTES)}") == "other"
    assert metrics.route_of("/scan/a") == "/scan/a"


def test_an_event_type_outside_the_catalog_is_other() -> None:
    known = CloudEvent.create({"type": catalog.REPLY_READY, "source": "/t"}, None)
    unknown = CloudEvent.create({"type": "x" * 500, "source": "/t"}, None)
    assert (metrics.event_type(known), metrics.event_type(unknown)) == (
        catalog.REPLY_READY,
        "other",
    )


def test_escalations_count_reasons_the_code_writes_and_bound_the_rest() -> None:
    def escalated(reason: str, channel: str) -> CloudEvent:
        return CloudEvent.create(
            {"type": catalog.ESCALATED, "source": "/t", "channel": channel}, {"reason": reason}
        )

    def count(reason: str, channel: str) -> float:
        return metrics.ESCALATIONS.labels(reason, channel)._value.get()

    before = (count("pricing_inquiry", "email"), count("other", "other"))
    reply = CloudEvent.create({"type": catalog.REPLY_READY, "source": "/t"}, {"reason": "x"})
    metrics.escalations_committed(
        [escalated("pricing_inquiry", "email"), escalated("Drop TABLE;", "fax"), reply]
    )
    assert (count("pricing_inquiry", "email"), count("other", "other")) == (
        before[0] + 1,
        before[1] + 1,
    )
