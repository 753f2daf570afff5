"""Gmail pushes a mailbox's changes only while a watch is on, and a watch lapses after 7 days:
renew it (daily, from a PingSource) and keep its expiry, which health reports on
(``shared.health``)."""

from __future__ import annotations

from datetime import datetime

from shared.channels.gmail_api import Gmail, NotConfigured
from shared.config import Settings
from shared.db import get_pool, gmail_mailboxes


async def renew_watch(mailbox: Gmail, settings: Settings) -> datetime:
    """Ask Gmail to push inbox changes to the configured topic; the watch's new expiry."""
    if not (settings.gmail_address and settings.gmail_pubsub_topic):
        raise NotConfigured("set GMAIL_ADDRESS and GMAIL_PUBSUB_TOPIC to watch the mailbox")
    history_id, expires_at = await mailbox.watch(settings.gmail_pubsub_topic)
    pool = await get_pool()
    async with pool.acquire() as conn:
        await gmail_mailboxes.record_watch(conn, settings.gmail_address, expires_at, history_id)
    return expires_at
