"""Per-channel figures over a window, computed from the stored rows (ops' /api/v1/metrics/channels).

Each query groups by channel; a channel with no rows in the window is simply absent from its
result (the caller fills in zeros). The window is ``created_at >= since`` of the rows counted:
customer messages for volume and reply latency, tickets for escalation and resolution, the
agent's per-message rows for sentiment, dead letters for dead letters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.db.pool import Queryable

#: A customer message's reply latency: until the first agent or staff message on its ticket at
#: or after it (a customer who writes twice before an answer waited for that one answer twice).
_MESSAGES = """
    SELECT i.channel,
           count(*) AS messages_in,
           count(r.replied_at) AS replied,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY r.latency_ms) AS reply_p50_ms,
           percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency_ms) AS reply_p95_ms
    FROM messages i
    LEFT JOIN LATERAL (
        SELECT min(o.created_at) AS replied_at,
               extract(epoch FROM min(o.created_at) - i.created_at) * 1000 AS latency_ms
        FROM messages o
        WHERE o.ticket_id = i.ticket_id AND o.direction = 'outbound'
          AND o.role IN ('agent', 'staff') AND o.created_at >= i.created_at
    ) r ON true
    WHERE i.direction = 'inbound' AND i.role = 'customer' AND i.created_at >= $1
    GROUP BY i.channel
"""

#: A ticket counts as escalated once it was handed to a person (escalated_at stays set after it
#: is resolved); resolved: a person closed it; answered: it has an answer and waits for nobody.
_TICKETS = """
    SELECT channel,
           count(*) AS tickets,
           count(*) FILTER (WHERE escalated_at IS NOT NULL) AS escalated,
           count(*) FILTER (WHERE status = 'resolved') AS resolved,
           count(*) FILTER (WHERE status = 'answered') AS answered
    FROM tickets
    WHERE created_at >= $1
    GROUP BY channel
"""

_ESCALATION_REASONS = """
    SELECT channel, coalesce(escalation_reason, 'unknown') AS reason, count(*) AS tickets
    FROM tickets
    WHERE created_at >= $1 AND escalated_at IS NOT NULL
    GROUP BY channel, reason
"""

_AGENT = """
    SELECT channel,
           count(*) AS handled,
           avg(sentiment) AS mean_sentiment,
           avg(frustration) AS mean_frustration
    FROM agent_metrics
    WHERE created_at >= $1
    GROUP BY channel
"""

#: A dead letter's channel is its event's ``channel`` attribute, else its ticket's.
_DEAD_LETTERS = """
    SELECT coalesce(d.attributes->>'channel', t.channel, 'unknown') AS channel,
           count(*) AS dead_letters
    FROM dead_letters d
    LEFT JOIN tickets t ON t.ticket_number = d.ticket_number
    WHERE d.created_at >= $1
    GROUP BY 1
"""


async def messages(db: Queryable, since: datetime) -> dict[str, dict[str, Any]]:
    """Per channel: customer messages in, how many got a reply, reply latency p50/p95 (ms)."""
    return _by_channel(await db.fetch(_MESSAGES, since))


async def tickets(db: Queryable, since: datetime) -> dict[str, dict[str, Any]]:
    """Per channel: tickets opened, and how many of them were escalated, resolved, answered."""
    return _by_channel(await db.fetch(_TICKETS, since))


async def escalation_reasons(db: Queryable, since: datetime) -> dict[str, dict[str, int]]:
    """Per channel: escalated tickets of the window by reason."""
    reasons: dict[str, dict[str, int]] = {}
    for row in await db.fetch(_ESCALATION_REASONS, since):
        reasons.setdefault(row["channel"], {})[row["reason"]] = int(row["tickets"])
    return reasons


async def agent(db: Queryable, since: datetime) -> dict[str, dict[str, Any]]:
    """Per channel: messages the agent handled, their mean sentiment and frustration."""
    return _by_channel(await db.fetch(_AGENT, since))


async def dead_letters(db: Queryable, since: datetime) -> dict[str, int]:
    """Per channel: events dead-lettered in the window."""
    return {r["channel"]: int(r["dead_letters"]) for r in await db.fetch(_DEAD_LETTERS, since)}


def _by_channel(rows: list[Any]) -> dict[str, dict[str, Any]]:
    return {r["channel"]: {k: v for k, v in dict(r).items() if k != "channel"} for r in rows}
