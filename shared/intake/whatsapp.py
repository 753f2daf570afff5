"""The WhatsApp channel's intake: Twilio's incoming-message webhook, recorded once per MessageSid.

A message joins the customer's open ticket (on any channel) that moved within
``WHATSAPP_FOLLOW_UP_HOURS``, else it opens a new one; the customer is recognised by phone
across channels. Twilio's opt-out words stop every send to the number until an opt-in word;
neither opens a ticket. A reply that is just a digit from 1 to 5, while the customer's most
recent ticket is resolved and awaits their WhatsApp rating, is that rating (thanked for), not a
new message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from starlette.datastructures import FormData

from events import catalog
from events.models import Attachment
from shared.config import get_settings
from shared.db import customers, get_pool, tickets, whatsapp
from shared.db.pool import Connection
from shared.http_api import BadRequest
from shared.identity import WHATSAPP_PREFIX, InvalidIdentifier, normalize_phone
from shared.intake.accept import Accepted, Contact, accept_follow_up, accept_new_ticket
from shared.ratings.receiving import rate_by_whatsapp
from shared.ratings.wording import score_in_reply
from shared.relay import Outgoing, keep, publish_soon
from shared.text import clean_text

SOURCE = catalog.source_of("intake-whatsapp")
#: Twilio's default opt-out and opt-in keywords (a message that is only the word).
OPT_OUT_WORDS: Final = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_WORDS: Final = frozenset({"START", "YES", "UNSTOP"})
MAX_BODY_CHARS = 5000
MAX_MEDIA = 10
ATTACHMENT_ONLY = "(sent an attachment with no text)"
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")

Outcome = Literal["accepted", "duplicate", "opted_out", "opted_in", "rated"]


@dataclass(frozen=True)
class IncomingWhatsApp:
    """One incoming message as Twilio posted it, validated and normalised."""

    message_sid: str
    phone: str  # E.164, from ``From=whatsapp:+…``
    profile_name: str | None
    body: str
    attachments: tuple[Attachment, ...] = ()

    @property
    def keyword(self) -> Literal["opt_out", "opt_in"] | None:
        word = self.body.strip().upper()
        if word in OPT_OUT_WORDS:
            return "opt_out"
        return "opt_in" if word in OPT_IN_WORDS else None


def parse_incoming(form: FormData) -> IncomingWhatsApp:
    """The webhook's form, or a 422 that names the field."""
    sid = str(form.get("MessageSid", ""))
    if not _SID.match(sid):
        raise _invalid("MessageSid", "expected a Twilio message SID (two letters, 32 hex digits)")
    sender = str(form.get("From", ""))
    if not sender.lower().startswith(WHATSAPP_PREFIX):
        raise _invalid("From", "expected whatsapp:+<number>")
    try:
        phone = normalize_phone(sender, get_settings().default_phone_region, strict=False)
    except InvalidIdentifier as exc:
        raise _invalid("From", str(exc)) from exc
    body = clean_text(str(form.get("Body", ""))).strip()
    if len(body) > MAX_BODY_CHARS:
        raise _invalid("Body", f"at most {MAX_BODY_CHARS} characters")
    media = _attachments(form)
    if not body and not media:
        raise _invalid("Body", "an empty message with no media")
    name = clean_text(str(form.get("ProfileName", ""))).replace("\n", " ").strip()[:100]
    return IncomingWhatsApp(sid, phone, name or None, body, media)


def _attachments(form: FormData) -> tuple[Attachment, ...]:
    raw = str(form.get("NumMedia", "0") or "0")
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise _invalid("NumMedia", f"expected a number from 0 to {MAX_MEDIA}")
    found = []
    for n in range(int(raw)):
        url, kind = form.get(f"MediaUrl{n}"), form.get(f"MediaContentType{n}")
        if not url or not kind:
            raise _invalid(f"MediaUrl{n}", "NumMedia counts more media than were sent")
        found.append(Attachment(content_type=clean_text(str(kind))[:100], url=str(url)[:2048]))
    return tuple(found)


def _invalid(field: str, message: str) -> BadRequest:
    return BadRequest(422, "some fields are not valid", [{"field": field, "message": message}])


async def receive_whatsapp(incoming: IncomingWhatsApp) -> Outcome:
    """Record the message once (with its event, ticket and customer), then publish its event."""
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        if not await whatsapp.first_sight(conn, incoming.message_sid):
            return "duplicate"
        await whatsapp.customer_wrote(conn, incoming.phone)
        if incoming.keyword is not None:
            await whatsapp.set_opted_out(conn, incoming.phone, incoming.keyword == "opt_out")
            return "opted_out" if incoming.keyword == "opt_out" else "opted_in"
        thanks = await _rating(conn, incoming)
        if thanks is None:
            accepted = await _accept(conn, incoming)
            await whatsapp.link_inbound(conn, incoming.message_sid, accepted.message_id)
            thanks_or_message = [accepted.outgoing]
        else:
            await keep(conn, thanks)
            thanks_or_message = thanks
    publish_soon(thanks_or_message)
    return "accepted" if thanks is None else "rated"


async def _rating(conn: Connection, incoming: IncomingWhatsApp) -> list[Outgoing] | None:
    """A digit 1 to 5 answering our rating question: stored, and thanks planned; else None."""
    score = score_in_reply(incoming.body)
    if score is None or incoming.attachments:
        return None
    return await rate_by_whatsapp(conn, incoming.phone, score)


async def _accept(conn: Connection, incoming: IncomingWhatsApp) -> Accepted:
    settings = get_settings()
    content = incoming.body or ATTACHMENT_ONLY
    contact = Contact(name=incoming.profile_name, phone=incoming.phone)
    customer_id = await customers.resolve_customer(
        conn, email=None, phone=incoming.phone, name=incoming.profile_name
    )
    ticket = await tickets.latest_open(conn, customer_id, settings.whatsapp_follow_up_hours * 3600)
    if ticket is not None:
        return await accept_follow_up(
            conn,
            source=SOURCE,
            channel="whatsapp",
            ticket=ticket,
            content=content,
            channel_message_id=incoming.message_sid,
            attachments=incoming.attachments,
        )
    return await accept_new_ticket(
        conn,
        source=SOURCE,
        channel="whatsapp",
        contact=contact,
        content=content,
        channel_message_id=incoming.message_sid,
        attachments=incoming.attachments,
    )
