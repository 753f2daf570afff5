"""The agent's answer as an email: a reply in the customer's thread, plain text and HTML.

Built with the standard library's ``email`` package and its default policy, which refuses a
header value holding CR or LF: whatever a customer put in a subject stays inside it.
"""

from __future__ import annotations

import html
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from uuid import UUID

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"]+")
MAX_REFERENCES = 20  # the newest; RFC 5322 allows trimming the middle of a long chain


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split()) or "Your request"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def reply_message_id(message_id: UUID, support_address: str) -> str:
    """The reply's own ``Message-ID``, fixed by its stored message: a retry sends the same one."""
    domain = support_address.rpartition("@")[2] or "localhost"
    return f"<reply-{message_id}@{domain}>"


def references_for(references: str, in_reply_to: str) -> str:
    chain = [ref for ref in references.split() if ref != in_reply_to] + [in_reply_to]
    return " ".join(chain[-MAX_REFERENCES:])


def as_html(text: str) -> str:
    """Paragraphs, line breaks and links of the plain text, everything else escaped."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        escaped = html.escape(paragraph)
        linked = _URL.sub(lambda m: f'<a href="{m[0]}">{m[0]}</a>', escaped)
        paragraphs.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    return (
        '<!doctype html><html><body style="font-family: sans-serif; line-height: 1.5">'
        + "".join(paragraphs)
        + "</body></html>"
    )


def build_reply(
    *,
    support_address: str,
    support_name: str,
    to: str,
    subject: str,
    in_reply_to: str,
    references: str,
    message_id: str,
    text: str,
) -> EmailMessage:
    """The reply, ready for ``messages.send``; ``in_reply_to`` empty for a mail of its own."""
    message = EmailMessage()
    message["From"] = Address(display_name=support_name, addr_spec=support_address)
    message["To"] = to
    message["Subject"] = reply_subject(subject)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references_for(references, in_reply_to)
    # RFC 3834: an automatic answer, so other robots (out-of-office replies) do not answer it.
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(text)
    message.add_alternative(as_html(text), subtype="html")
    return message


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)
