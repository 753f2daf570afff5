"""An incoming email as the agent reads it: who wrote, in which thread, and only the new words.

Pure parsing (standard library ``email`` with ``policy.default``) and the rule of which mail
is never answered. Nothing here knows about Gmail: the raw RFC 5322 bytes come in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any

from mailparser_reply import EmailReplyParser

from shared.identity import InvalidIdentifier, normalize_email
from shared.text import clean_text

MAX_BODY_CHARS = 5_000
#: Headers the skip rule reads, kept lower-cased; ``content-type`` holds the bare media type.
FILTER_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "return-path",
)
_FALLBACK_CHARSETS = ("utf-8", "windows-1252")
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_REPLY_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "it", "nl"])
_SIGNATURE_DELIMITER = re.compile(r"^--[ ]?$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class IncomingEmail:
    """One received mail. ``sender`` is the normalised address, or ``""`` when it has none."""

    sender: str
    sender_name: str
    subject: str
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    headers: MappingProxyType[str, str]
    body: str


def parse(raw: bytes) -> IncomingEmail:
    """Read raw mail bytes; never raises on bad charsets or odd headers."""
    message = BytesParser(policy=default).parsebytes(raw)
    sender, sender_name = _sender(message)
    headers = {name: _header(message, name) for name in FILTER_HEADERS}
    headers["content-type"] = message.get_content_type()
    return IncomingEmail(
        sender=sender,
        sender_name=sender_name,
        subject=_one_line(_header(message, "subject")),
        message_id=_header(message, "message-id").strip(),
        in_reply_to=_header(message, "in-reply-to").strip(),
        references=tuple(_header(message, "references").split()),
        headers=MappingProxyType({k: v for k, v in headers.items() if v}),
        body=clean_text(new_text(_body_text(message)))[:MAX_BODY_CHARS],
    )


def skip_reason(mail: IncomingEmail, *, own_addresses: set[str]) -> str | None:
    """Why this mail must never be answered (a short code), or None to answer it.

    Answering any of these would at best be noise and at worst a mail loop with another robot.
    """
    headers = mail.headers
    if mail.sender and mail.sender in {address.lower() for address in own_addresses}:
        return "own_mail"
    if _is_bounce(mail):
        return "bounce"
    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    precedence = headers.get("precedence", "").strip().lower()
    if auto_submitted not in ("", "no") or "x-autoreply" in headers or "x-autorespond" in headers:
        return "auto_reply"
    if precedence in ("bulk", "junk"):
        return "auto_reply"
    if precedence == "list" or "list-id" in headers or "list-unsubscribe" in headers:
        return "list"
    if not mail.sender:
        return "no_sender"
    if not mail.body.strip():
        return "empty"
    return None


def new_text(text: str) -> str:
    """Only what the sender just wrote: the signature and the quoted history are cut.

    The first ``-- `` line (RFC 3676; also bare ``--``, as some clients trim the space) starts
    the signature; ``>`` lines are quotes; "On … wrote:" headers and what follows are found by
    mail-parser-reply, which knows several languages' forms and wrapped header lines.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _SIGNATURE_DELIMITER.search(text)
    if delimiter:
        text = text[: delimiter.start()]
    text = _before_quoted_history(text)
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def _before_quoted_history(text: str) -> str:
    """The part above the first "On … wrote:" header; ``""`` when the mail starts with one."""
    replies = _REPLY_PARSER.read(text).replies
    if not replies or replies[0].headers:
        return ""
    return str(replies[0].content)


def _header(message: Message, name: str) -> str:
    """A header's decoded value, ``""`` when absent or beyond what the stdlib parser survives."""
    try:
        return str(message.get(name, ""))
    except (IndexError, TypeError, ValueError):
        return ""


def _one_line(value: str) -> str:
    """Folded or encoded CR/LF become single spaces: a subject ends up in a reply's header."""
    return clean_text(" ".join(value.split()))


def _sender(message: Message) -> tuple[str, str]:
    try:
        addresses: tuple[Any, ...] = getattr(message.get("from"), "addresses", ())
    except (IndexError, TypeError, ValueError):
        return "", ""
    if not addresses:
        return "", ""
    first = addresses[0]
    name = _one_line(str(first.display_name))
    try:
        return normalize_email(str(first.addr_spec)), name
    except InvalidIdentifier:
        return "", name


def _is_bounce(mail: IncomingEmail) -> bool:
    local_part = mail.sender.partition("@")[0]
    return (
        mail.headers.get("content-type") == "multipart/report"
        or local_part in _BOUNCE_SENDERS
        or mail.headers.get("return-path", "").strip() == "<>"
    )


def _body_text(message: EmailMessage) -> str:
    """The text/plain part if any, else the text/html part as text, else ``""``."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        return html_to_text(text)
    return text


def _decoded(part: Message) -> str:
    """The part's text in its declared charset, else UTF-8, else Windows-1252, else Latin-1.

    A declared charset that is unknown or wrong (common) falls through to the next; Latin-1
    maps every byte, so decoding never raises.
    """
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = part.get_content_charset()
    for charset in (declared, *_FALLBACK_CHARSETS) if declared else _FALLBACK_CHARSETS:
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


class _TextExtractor(HTMLParser):
    """HTML to plain text: scripts, styles and ``<blockquote>`` (quoted mail) dropped."""

    SKIPPED = frozenset({"script", "style", "head", "title", "blockquote"})
    BLOCKS = frozenset(
        {"br", "p", "div", "li", "tr", "table", "ul", "ol", "hr", "pre", "section", "article"}
        | {"header", "footer", "h1", "h2", "h3", "h4", "h5", "h6"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(_SPACES.sub(" ", data))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: block elements become line breaks, spacing collapsed."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.chunks).split("\n"))
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
