"""One row per handled message: which model, how long, which tools, whether it was escalated.

``frustration_signals`` holds each signal of the frustration score and what it added (a dict:
the pool's jsonb codec encodes it).
"""

from __future__ import annotations

from uuid import UUID

from shared.db.pool import Connection


async def record(
    conn: Connection,
    *,
    event_id: str,
    ticket_id: UUID,
    channel: str,
    model: str,
    latency_ms: float,
    tools_called: list[str],
    escalation_reason: str | None,
    sentiment: float | None,
    frustration: float | None = None,
    frustration_signals: dict[str, float] | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO agent_metrics (event_id, ticket_id, channel, model, latency_ms, tools_called,
                                      escalated, escalation_reason, sentiment, frustration,
                                      frustration_signals)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb)""",
        event_id,
        ticket_id,
        channel,
        model,
        latency_ms,
        tools_called,
        escalation_reason is not None,
        escalation_reason,
        sentiment,
        frustration,
        frustration_signals,
    )
