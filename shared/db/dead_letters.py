"""Dead letters: events that exhausted their retries, kept whole so they can be replayed."""

from __future__ import annotations

import json
from typing import Any

from cloudevents.http import CloudEvent

from shared.db.pool import Connection


def _data_json(event: CloudEvent) -> Any:
    data = event.get_data()
    if isinstance(data, bytes | str):
        try:
            return json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
    return data


async def record(conn: Connection, event: CloudEvent, ticket_number: str | None) -> bool:
    """Store the event with Knative's error extensions; False when it was stored before."""
    attributes = {k: v for k, v in event.get_attributes().items() if k != "data"}
    code = attributes.get("knativeerrorcode")
    inserted = await conn.fetchval(
        """INSERT INTO dead_letters (event_id, event_type, event_source, error_dest, error_code,
                                     error_data, attributes, data, ticket_number)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (event_id) DO NOTHING RETURNING true""",
        str(event["id"]),
        event["type"],
        event["source"],
        attributes.get("knativeerrordest"),
        int(code) if code and str(code).isdigit() else None,
        attributes.get("knativeerrordata"),
        attributes,
        _data_json(event),
        ticket_number,
    )
    return bool(inserted)


async def mark_apology_sent(conn: Connection, event_id: str) -> None:
    await conn.execute("UPDATE dead_letters SET apology_sent = true WHERE event_id = $1", event_id)
