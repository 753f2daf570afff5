"""The CloudEvents HTTP binding, binary mode, with the header percent-encoding the SDK leaves out.

HTTP protocol binding §3.1.3.2: in a ``ce-*`` header value every character outside printable
ASCII (U+0021-U+007E), plus space, double quote and percent, is percent-encoded as UTF-8.
cloudevents 1.12's ``to_binary`` sends the raw value (httpx then fails on anything non-ASCII)
and ``from_http`` does not decode, so a sender uses ``to_binary_http`` and a receiving function
applies ``percent_decoded`` to the event functions-framework parsed.
"""

from __future__ import annotations

import json
import re

from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent

_ENCODED_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_NOT_DECODED = {"data", "datacontenttype", "specversion"}  # not carried in ce-* headers


def percent_encoded(value: str) -> str:
    """A header value as §3.1.3.2 requires it; printable ASCII other than space, ``"``, ``%`` stays."""
    return "".join(
        c if "!" <= c <= "~" and c not in '"%' else "".join(f"%{b:02X}" for b in c.encode())
        for c in value
    )


def percent_decoded_value(value: str) -> str:
    """Every run of ``%XX`` that spells valid UTF-8 decoded; anything else left as it is."""

    def decode(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group().replace("%", ""))
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return match.group()

    return _ENCODED_RUN.sub(decode, value)


def _body(data: object) -> bytes:
    """Data bytes pass through raw; anything else (a dict, a list) is JSON-encoded."""
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return json.dumps(data, separators=(",", ":")).encode()


def to_binary_http(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """(headers, body) for a binary-mode POST: ``ce-*`` values percent-encoded, ASCII unchanged."""
    headers, body = to_binary(event, data_marshaller=_body)
    encoded = {
        name: percent_encoded(str(value)) if name.lower().startswith("ce-") else str(value)
        for name, value in headers.items()
    }
    return encoded, body if isinstance(body, bytes) else str(body).encode()


def percent_decoded(event: CloudEvent) -> CloudEvent:
    """The event with its attributes percent-decoded, as a receiver of binary mode must do.

    Only a value holding a valid ``%XX`` sequence changes; the data is left alone.
    """
    attributes = event.get_attributes()
    decoded = {
        name: percent_decoded_value(value)
        if isinstance(value, str) and name not in _NOT_DECODED
        else value
        for name, value in attributes.items()
    }
    if decoded == dict(attributes):
        return event
    return CloudEvent.create(decoded, event.get_data())
