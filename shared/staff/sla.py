"""SLA clocks: when a person's first answer and the resolution are due, by priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.config import Settings


@dataclass(frozen=True)
class Clocks:
    first_response_due: datetime | None  # None once answered (or no SLA for the priority)
    resolution_due: datetime | None  # None once resolved

    def overdue(self, now: datetime) -> bool:
        return any(
            due is not None and due < now for due in (self.first_response_due, self.resolution_due)
        )

    def public(self, now: datetime) -> dict[str, object]:
        return {
            "first_response_due": _iso(self.first_response_due),
            "resolution_due": _iso(self.resolution_due),
            "overdue": self.overdue(now),
        }


def clocks(
    settings: Settings,
    priority: str,
    created_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
) -> Clocks:
    first = settings.sla_first_response_minutes.get(priority)
    resolution = settings.sla_resolution_minutes.get(priority)
    return Clocks(
        created_at + timedelta(minutes=first) if first and first_response_at is None else None,
        created_at + timedelta(minutes=resolution) if resolution and resolved_at is None else None,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
