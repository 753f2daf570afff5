"""Postgres access: one lazily created asyncpg pool, one query module per table group."""

from shared.db import conversations, customers, messages, processed_events, tickets
from shared.db.pool import close_pool, get_pool

__all__ = [
    "close_pool",
    "conversations",
    "customers",
    "get_pool",
    "messages",
    "processed_events",
    "tickets",
]
