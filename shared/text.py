"""The text an intake accepts: only what Postgres and every channel can carry. One rule.

- NUL, the other C0 controls (tab and newline excepted), DEL and the C1 controls are removed;
  Postgres refuses NUL in text and jsonb, and the rest has no business in a support message.
- A lone surrogate (``"\\ud800"`` is valid JSON) becomes U+FFFD: UTF-8 cannot encode it.
- CRLF and CR become LF, then the text is normalised to Unicode NFC, so the same words are the
  same string whichever keyboard typed them.
- A single-line field (a name, a subject: they end up in email headers) refuses line breaks.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")


def clean_text(value: str) -> str:
    """The text as we store and send it (idempotent)."""
    value = _SURROGATES.sub("\ufffd", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _CONTROLS.sub("", value))


def clean_line(value: str) -> str:
    """A single-line field: refused when it holds a line break, else cleaned."""
    if _LINE_BREAKS.search(value):
        raise ValueError("must be a single line (no line breaks)")
    return clean_text(value)


def _before(rule: Any) -> BeforeValidator:
    return BeforeValidator(lambda v: rule(v) if isinstance(v, str) else v)


#: A field of several lines (a message). Apply length limits after it, as pydantic does.
MultiLine = Annotated[str, _before(clean_text)]
#: A field of one line (a name, a subject).
SingleLine = Annotated[str, _before(clean_line)]


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(value: Any) -> Any:
    """JSON as Postgres can keep it: NUL and lone surrogates in any string become U+FFFD.

    For what we did not accept ourselves (a dead letter from anywhere), kept as close to the
    original as storing allows.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value
