"""Dead letters: events that exhausted their retries, kept whole so they can be replayed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudevents.http import CloudEvent

from events.envelope import json_data
from shared.db.pool import Connection
from shared.text import storable

#: Knative's error extensions: they describe a failed delivery, not the event itself.
ERROR_EXTENSIONS = ("knativeerrordest", "knativeerrorcode", "knativeerrordata")


@dataclass(frozen=True)
class DeadLetter:
    id: int
    event_id: str
    event_type: str
    error_dest: str | None
    error_code: int | None
    ticket_number: str | None
    apology_sent: bool
    replay_count: int
    replayed_at: datetime | None
    created_at: datetime
    attributes: dict[str, Any]
    data: Any

    @property
    def original(self) -> CloudEvent:
        """The event as it was first published: the same id, without the error extensions."""
        attributes = {k: v for k, v in self.attributes.items() if k not in ERROR_EXTENSIONS}
        return CloudEvent.create(attributes, self.data)


_COLUMNS = ", ".join(DeadLetter.__dataclass_fields__)


async def record(conn: Connection, event: CloudEvent, ticket_number: str | None) -> None:
    """Store the event with Knative's error extensions (a replayed one that failed again: anew)."""
    attributes = storable({k: v for k, v in event.get_attributes().items() if k != "data"})
    code = attributes.get("knativeerrorcode")
    await conn.execute(
        """INSERT INTO dead_letters (event_id, event_type, event_source, error_dest, error_code,
                                     error_data, attributes, data, ticket_number)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (event_id) DO UPDATE SET
               error_dest = EXCLUDED.error_dest, error_code = EXCLUDED.error_code,
               error_data = EXCLUDED.error_data, attributes = EXCLUDED.attributes,
               created_at = now()""",
        attributes["id"],
        attributes["type"],
        attributes["source"],
        attributes.get("knativeerrordest"),
        int(code) if code and str(code).isdigit() and len(str(code)) < 6 else None,
        attributes.get("knativeerrordata"),
        attributes,
        storable(json_data(event)),
        ticket_number,
    )


async def mark_apology_sent(conn: Connection, event_id: str) -> None:
    await conn.execute("UPDATE dead_letters SET apology_sent = true WHERE event_id = $1", event_id)


async def recent(conn: Connection, limit: int = 50) -> list[DeadLetter]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM dead_letters ORDER BY id DESC LIMIT $1", limit)
    return [DeadLetter(**dict(r)) for r in rows]


async def get(conn: Connection, dead_letter_id: int) -> DeadLetter | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = $1", dead_letter_id)
    return DeadLetter(**dict(row)) if row else None


async def mark_replayed(conn: Connection, dead_letter_id: int) -> None:
    await conn.execute(
        """UPDATE dead_letters SET replayed_at = now(), replay_count = replay_count + 1
           WHERE id = $1""",
        dead_letter_id,
    )
