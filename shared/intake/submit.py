"""The web channel's intake: a form or a follow-up, accepted once per Idempotency-Key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pydantic import BaseModel

from events import catalog
from shared.access import hash_token, new_token
from shared.config import get_settings
from shared.db import get_pool, idempotency
from shared.db.idempotency import KeyReused
from shared.db.pool import Connection
from shared.http_api import BadRequest
from shared.intake.accept import Accepted, Contact, accept_follow_up, accept_new_ticket
from shared.intake.web_form import FollowUp, Receipt, SupportForm, status_url
from shared.relay import publish_soon
from shared.ticket_status import ticket_for_token

SOURCE = catalog.source_of("intake-web-form")
NOT_FOUND = "no ticket with that number for this token"


@dataclass(frozen=True)
class Retry:
    """A client's ``Idempotency-Key`` for one endpoint, and the request it came with."""

    scope: str
    key: str | None
    body: BaseModel

    @property
    def request_hash(self) -> str:
        return hashlib.sha256(self.body.model_dump_json().encode()).hexdigest()


async def submit_form(form: SupportForm, idempotency_key: str | None = None) -> Receipt:
    """Accept a new ticket; 202 once the ticket, the message and its event are committed."""
    retry = Retry("form", idempotency_key, form)
    token = new_token()
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if earlier := await _recall(conn, retry):
            return earlier
        accepted = await accept_new_ticket(
            conn,
            source=SOURCE,
            channel="web_form",
            contact=Contact(name=form.name, email=form.email, phone=form.phone),
            content=form.message,
            subject=form.subject,
            category=form.category,
            priority=form.priority,
            access_token_hash=hash_token(token),
        )
        receipt = await _remember(conn, retry, _receipt(accepted, token))
    publish_soon([accepted.outgoing])
    return receipt


async def submit_follow_up(
    ticket_number: str, token: str | None, follow_up: FollowUp, idempotency_key: str | None = None
) -> Receipt:
    """Accept a follow-up on an existing ticket, for the holder of its token only."""
    retry = Retry(f"follow-up:{ticket_number}", idempotency_key, follow_up)
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        ticket = await ticket_for_token(conn, ticket_number, token)
        if ticket is None or token is None:
            raise BadRequest(404, NOT_FOUND)
        if earlier := await _recall(conn, retry):
            return earlier
        accepted = await accept_follow_up(
            conn, source=SOURCE, channel="web_form", ticket=ticket, content=follow_up.message
        )
        receipt = await _remember(conn, retry, _receipt(accepted, token))
    publish_soon([accepted.outgoing])
    return receipt


async def _recall(conn: Connection, retry: Retry) -> Receipt | None:
    if retry.key is None:
        return None
    try:
        stored = await idempotency.recall(conn, retry.scope, retry.key, retry.request_hash)
    except KeyReused as exc:
        raise BadRequest(422, str(exc)) from exc
    return Receipt.model_validate(stored) if stored else None


async def _remember(conn: Connection, retry: Retry, receipt: Receipt) -> Receipt:
    if retry.key is not None:
        await idempotency.remember(
            conn, retry.scope, retry.key, retry.request_hash, receipt.model_dump()
        )
    return receipt


def _receipt(accepted: Accepted, token: str) -> Receipt:
    number = accepted.ticket.ticket_number
    return Receipt(
        ticket_number=number,
        message_id=str(accepted.message_id),
        status_url=status_url(number, token, get_settings().public_base_url),
        access_token=token,
        status=accepted.ticket.status,
    )
