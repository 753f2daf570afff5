"""Postgres access: one lazily created asyncpg pool, one query module per table group."""

from shared.db import (
    agent_metrics,
    conversations,
    customers,
    dead_letters,
    email_messages,
    gmail_mailboxes,
    idempotency,
    messages,
    outbox,
    processed_events,
    ratings,
    tickets,
    whatsapp,
    whatsapp_parts,
)
from shared.db.pool import close_pool, get_pool

__all__ = [
    "agent_metrics",
    "close_pool",
    "conversations",
    "customers",
    "dead_letters",
    "email_messages",
    "get_pool",
    "gmail_mailboxes",
    "idempotency",
    "messages",
    "outbox",
    "processed_events",
    "ratings",
    "staff",
    "staff_actions",
    "staff_queue",
    "staff_sessions",
    "ticket_notes",
    "tickets",
    "whatsapp",
    "whatsapp_parts",
]
