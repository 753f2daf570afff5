"""Twilio's status callbacks: each reply part's queued → sent → delivered → read (or failure).

The callback URL names the part it reports on (``?reply=<message id>&part=<n>``), so a part
whose SID the sender never recorded (it was killed after Twilio accepted the part) still gets
it, and the sender's next attempt finds the part sent instead of sending it again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from starlette.datastructures import FormData, QueryParams

from shared.channels.twilio_api import OUTSIDE_WINDOW
from shared.db import get_pool, tickets, whatsapp_parts
from shared.http_api import BadRequest
from shared.metrics import escalated

STATUS_PATH: Final = "/api/v1/webhooks/whatsapp/status"
WINDOW_CLOSED: Final = "whatsapp_window_closed"  # the escalation reason
#: Twilio's message states, as the reply's delivery status shows them.
STATUSES: Final[dict[str, str]] = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
log = logging.getLogger(__name__)


def callback_url(public_base_url: str, message_id: UUID, part: int) -> str:
    return f"{public_base_url.rstrip('/')}{STATUS_PATH}?reply={message_id}&part={part}"


@dataclass(frozen=True)
class StatusReport:
    sid: str
    status: str
    error_code: int | None
    part: tuple[UUID, int] | None


def parse_status(form: FormData, query: QueryParams) -> StatusReport:
    """The callback's form and our URL's query, or a 422 that names the field."""
    sid, status = str(form.get("MessageSid", "")), str(form.get("MessageStatus", ""))
    if not _SID.match(sid):
        raise _invalid("MessageSid", "expected a Twilio message SID")
    if status not in STATUSES:
        raise _invalid("MessageStatus", f"expected one of {', '.join(STATUSES)}")
    code = str(form.get("ErrorCode", "") or "")
    if code and not code.isdigit():
        raise _invalid("ErrorCode", "expected a number")
    return StatusReport(sid, STATUSES[status], int(code) if code else None, _part(query))


def _part(query: QueryParams) -> tuple[UUID, int] | None:
    reply, part = query.get("reply"), query.get("part")
    if reply is None or part is None or not part.isdigit():
        return None
    try:
        return UUID(reply), int(part)
    except ValueError:
        return None


def _invalid(field: str, message: str) -> BadRequest:
    return BadRequest(422, "some fields are not valid", [{"field": field, "message": message}])


async def record_status(report: StatusReport) -> str | None:
    """Record the status on its part and the reply; the reply's status, None for an unknown SID.

    A reply that could not go out because the conversation's window had closed (Twilio can
    report 63016 here, after accepting the message) goes to a person.
    """
    pool = await get_pool()
    async with pool.acquire() as conn, conn.transaction():
        message_id = await whatsapp_parts.advance(
            conn, report.sid, report.status, report.error_code, report.part
        )
        if message_id is None:
            log.info("status callback for a message we did not send: %s", report.status)
            return None
        summary = await whatsapp_parts.summarise(conn, message_id)
        if summary is None:
            return None
        status, ticket_id = summary
        window_closed = report.error_code == OUTSIDE_WINDOW and ticket_id is not None
        if window_closed and ticket_id is not None:
            await tickets.set_status(conn, ticket_id, "escalated", WINDOW_CLOSED)
    if window_closed:
        escalated(WINDOW_CLOSED, "whatsapp")
    return status
