"""One row per handled message: which model, how long, which tools, whether it was escalated.

``frustration_signals`` holds each signal of the frustration score and what it added (a dict:
the pool's jsonb codec encodes it). ``asked_about`` and ``unmentioned`` say whether the docs
could answer: what the customer's yes/no questions asked about, and which of it the best
passage found did not name (``shared.kb.answerability``).
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
    asked_about: tuple[str, ...] = (),
    unmentioned: tuple[str, ...] = (),
) -> None:
    await conn.execute(
        """INSERT INTO agent_metrics (event_id, ticket_id, channel, model, latency_ms, tools_called,
                                      escalated, escalation_reason, sentiment, frustration,
                                      frustration_signals, asked_about, unmentioned)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)""",
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
        list(asked_about),
        list(unmentioned),
    )
