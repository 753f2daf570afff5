"""Accepting mail: a Gmail push says the mailbox changed; read what is new and file it.

Reading starts from the history id stored for the mailbox and ends, in one transaction, with
every new inbox message recorded once by its Gmail id (filed on a ticket, or skipped with the
reason) and the history id advanced. A push that arrives twice, or late, or alongside another,
finds the Gmail ids already recorded and files nothing twice. When Gmail no longer keeps the
stored history id, the newest inbox messages are read instead (bounded), and again only those
not recorded yet are filed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field

from events import catalog
from shared.access import derived_token, hash_token
from shared.channels import email_message
from shared.channels.gmail_api import (
    FetchedMessage,
    Gmail,
    GmailRefused,
    HistoryGone,
    MessageRef,
    NotConfigured,
    gmail,
)
from shared.channels.gmail_push import (
    WEBHOOK_PATH,
    Notification,
    decode_notification,
    verify_push,
)
from shared.config import Settings
from shared.db import email_messages, get_pool, gmail_mailboxes, tickets
from shared.db.pool import Connection, Queryable
from shared.intake.accept import Accepted, Contact, accept_follow_up, accept_new_ticket
from shared.relay import publish_soon

SOURCE = catalog.source_of("intake-gmail")
FETCH_CONCURRENCY = 4
log = logging.getLogger(__name__)


@dataclass
class Synced:
    """What one push found: counts only (no addresses or content: they are personal data)."""

    filed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    already_seen: int = 0
    history_id: int = 0
    fell_back: bool = False
    other_mailbox: bool = False

    def summary(self) -> dict[str, object]:
        return asdict(self)


def push_audience(settings: Settings) -> str:
    """The audience a genuine push carries: as configured, or our public webhook URL."""
    if settings.gmail_push_audience:
        return settings.gmail_push_audience
    if not settings.public_base_url:
        raise NotConfigured("set GMAIL_PUSH_AUDIENCE or PUBLIC_BASE_URL to check push tokens")
    return settings.public_base_url.rstrip("/") + WEBHOOK_PATH


async def receive_push(authorization: str | None, body: bytes, settings: Settings) -> Synced:
    """A Pub/Sub push, checked (``PushRefused`` 401/403/400), then the mailbox read up to it.

    Returns only once what was found is recorded: the push is answered 2xx after that, and
    anything raised makes Pub/Sub deliver it again.
    """
    if not (settings.gmail_address and settings.gmail_push_service_account):
        raise NotConfigured("set GMAIL_ADDRESS and GMAIL_PUSH_SERVICE_ACCOUNT for Gmail pushes")
    await verify_push(
        authorization,
        audience=push_audience(settings),
        service_account=settings.gmail_push_service_account,
        certs_url=settings.google_certs_url,
    )
    notification = decode_notification(body)
    if notification.email_address.lower() != settings.gmail_address.lower():
        log.warning("a push for another mailbox was acknowledged and ignored")
        return Synced(history_id=notification.history_id, other_mailbox=True)
    return await sync_mailbox(notification, gmail(), settings)


def status_link_token(settings: Settings, thread_id: str) -> str | None:
    """The status-page token of the ticket a Gmail thread opened, if links are configured."""
    if not settings.status_link_key:
        return None
    return derived_token(settings.status_link_key, f"gmail-thread:{thread_id}")


async def sync_mailbox(notification: Notification, gmail: Gmail, settings: Settings) -> Synced:
    """Read and file what is new in the mailbox up to the push; raises what Gmail raises."""
    pool = await get_pool()
    synced = Synced(history_id=notification.history_id)
    refs = await _new_refs(gmail, pool, settings, synced)
    fetched = await _fetch_all(gmail, refs)
    async with pool.acquire() as conn, conn.transaction():
        await gmail_mailboxes.lock(conn, settings.gmail_address)
        outgoing = [
            accepted.outgoing
            for message in fetched
            if (accepted := await _record(conn, message, settings, synced)) is not None
        ]
        await gmail_mailboxes.advance(conn, settings.gmail_address, synced.history_id)
    publish_soon(outgoing)
    return synced


async def _new_refs(
    gmail: Gmail, db: Queryable, settings: Settings, synced: Synced
) -> list[MessageRef]:
    """The inbox messages added since the stored history id that are not recorded yet."""
    mailbox = await gmail_mailboxes.get(db, settings.gmail_address)
    limit = settings.gmail_sync_max_messages
    refs: list[MessageRef]
    if mailbox.history_id is None:
        refs, synced.fell_back = await gmail.recent_inbox(limit), True
    else:
        try:
            refs, read_up_to = await gmail.history_since(mailbox.history_id, limit)
            synced.history_id = read_up_to
        except HistoryGone:
            log.warning("history id %s is gone: reading the newest %d", mailbox.history_id, limit)
            refs, synced.fell_back = await gmail.recent_inbox(limit), True
    unique = list({ref.id: ref for ref in refs}.values())
    seen = await email_messages.known(db, (r.id for r in unique))
    synced.already_seen = len(seen)
    return [ref for ref in unique if ref.id not in seen]


async def _fetch_all(gmail: Gmail, refs: list[MessageRef]) -> list[FetchedMessage | MessageRef]:
    """Each message's raw bytes; a message deleted since it arrived stays a bare reference."""
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(ref: MessageRef) -> FetchedMessage | MessageRef:
        async with gate:
            try:
                return await gmail.fetch(ref.id)
            except GmailRefused as refused:
                if refused.status == 404:
                    return ref
                raise

    return list(await asyncio.gather(*(one(ref) for ref in refs)))


async def _record(
    conn: Connection, message: FetchedMessage | MessageRef, settings: Settings, synced: Synced
) -> Accepted | None:
    if not await email_messages.claim(conn, message.id, message.thread_id, "inbound"):
        synced.already_seen += 1
        return None
    reason, mail = _skip_reason(message, settings)
    if reason is not None or mail is None:
        reason = reason or "unreadable"
        synced.skipped[reason] = synced.skipped.get(reason, 0) + 1
        await email_messages.complete(conn, message.id, skipped=reason)
        return None
    accepted = await _file(conn, mail, message.id, message.thread_id, settings)
    await email_messages.complete(
        conn,
        message.id,
        rfc_message_id=mail.message_id,
        references=" ".join(mail.references),
        subject=mail.subject,
        address=mail.sender,
        message_id=accepted.message_id,
        ticket_id=accepted.ticket.id,
    )
    synced.filed += 1
    return accepted


def _skip_reason(
    message: FetchedMessage | MessageRef, settings: Settings
) -> tuple[str | None, email_message.IncomingEmail | None]:
    if not isinstance(message, FetchedMessage):
        return "deleted", None
    if "SENT" in message.label_ids or "DRAFT" in message.label_ids:
        return "own_mail", None
    if "SPAM" in message.label_ids:
        return "spam", None
    mail = email_message.parse(message.raw)
    return email_message.skip_reason(mail, own_addresses={settings.gmail_address}), mail


async def _file(
    conn: Connection,
    mail: email_message.IncomingEmail,
    gmail_id: str,
    thread_id: str,
    settings: Settings,
) -> Accepted:
    """A reply in a thread we know continues its ticket; any other mail opens one."""
    ticket_id = await email_messages.ticket_of_thread(conn, thread_id)
    ticket = await tickets.get(conn, ticket_id) if ticket_id is not None else None
    if ticket is not None:
        return await accept_follow_up(
            conn,
            source=SOURCE,
            channel="email",
            ticket=ticket,
            content=mail.body,
            thread_id=thread_id,
            channel_message_id=gmail_id,
        )
    token = status_link_token(settings, thread_id)
    return await accept_new_ticket(
        conn,
        source=SOURCE,
        channel="email",
        contact=Contact(name=mail.sender_name or None, email=mail.sender),
        content=mail.body,
        subject=mail.subject or "(no subject)",
        access_token_hash=hash_token(token) if token else None,
        thread_id=thread_id,
        channel_message_id=gmail_id,
    )
