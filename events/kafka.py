"""The CloudEvents Kafka binding: records in, events out, and back.

Writing is binary mode (``ce_*`` headers, data as the value, key = ``partitionkey``). Reading
takes binary mode and structured mode (``content-type: application/cloudevents+json``, the
value is the JSON event); anything else is ``NotACloudEvent``, which a KafkaSource turns into a
``dev.knative.kafka.event`` with ``knative_kafka_event`` as Knative's dispatcher does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from cloudevents.http import CloudEvent
from cloudevents.kafka import KafkaMessage, from_binary

Headers = list[tuple[str, bytes]]
ContentMode = Literal["binary", "structured"]

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
KAFKA_EVENT_TYPE = "dev.knative.kafka.event"
_REQUIRED = ("specversion", "id", "source", "type")


class NotACloudEvent(ValueError):
    """A record in neither binding mode, or one missing a required attribute.

    The message names what is wrong, never the record's content.
    """


def _marshal(data: object) -> bytes:
    if data is None:
        return b""
    if isinstance(data, bytes):
        return data
    return json.dumps(data, separators=(",", ":")).encode()


def _text(value: object) -> bytes:
    return (value if isinstance(value, str) else str(value)).encode()


def to_record(event: CloudEvent) -> tuple[bytes | None, bytes, Headers]:
    """(key, value, headers) for a producer. ``partitionkey`` stays an attribute too.

    The SDK's ``cloudevents.kafka.to_binary`` fails on an event without ``datacontenttype``
    or with a non-string extension (a wrapped plain record, a structured event's integer), so
    the headers are written here, in the same order it writes them.
    """
    attributes = event.get_attributes()
    headers: Headers = []
    if attributes.get("datacontenttype"):
        headers.append(("content-type", _text(attributes["datacontenttype"])))
    headers.extend(
        (f"ce_{name}", _text(value))
        for name, value in attributes.items()
        if name not in ("data", "partitionkey", "datacontenttype") and value is not None
    )
    key = attributes.get("partitionkey")
    key_bytes = _text(key) if key is not None else None
    if key_bytes is not None:
        headers.append(("ce_partitionkey", key_bytes))
    return key_bytes, _marshal(event.get_data()), headers


def _header(headers: Sequence[tuple[str, bytes]], name: str) -> bytes | None:
    return next((v for k, v in headers if k.lower() == name), None)


def content_mode(headers: Sequence[tuple[str, bytes]]) -> ContentMode | None:
    """Which binding mode a record is in, from its headers alone; None for neither."""
    content_type = _header(headers, "content-type") or b""
    if content_type.strip().lower().startswith(STRUCTURED_CONTENT_TYPE.encode()):
        return "structured"
    if _header(headers, "ce_specversion") is not None:
        return "binary"
    return None


def _key_text(key: bytes | None) -> str | None:
    # Knative reads keys with Kafka's StringDeserializer: UTF-8, bad bytes replaced.
    return key.decode(errors="replace") if key is not None else None


def _from_binary(
    key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
) -> CloudEvent:
    try:
        text = {
            k.lower(): (v or b"").decode()
            for k, v in headers
            if k.lower() == "content-type" or k.lower().startswith("ce_")
        }
    except UnicodeDecodeError as exc:
        raise NotACloudEvent("a ce_ header is not UTF-8") from exc
    for attribute in _REQUIRED:
        if not text.get(f"ce_{attribute}"):
            raise NotACloudEvent(f"binary mode record without ce_{attribute}")
    text.pop("ce_partitionkey", None)  # the key is the partition key
    message = KafkaMessage(
        headers={k: v.encode() for k, v in text.items()}, key=_key_text(key), value=value
    )
    return from_binary(message, data_unmarshaller=lambda body: body)


def _structured_data(envelope: dict[str, Any]) -> bytes | None:
    if "data_base64" in envelope:
        try:
            return base64.b64decode(envelope.pop("data_base64"), validate=True)
        except (binascii.Error, TypeError) as exc:
            raise NotACloudEvent("structured event with invalid data_base64") from exc
    if "data" not in envelope:
        return None
    data = envelope.pop("data")
    content_type = str(envelope.get("datacontenttype", "application/json"))
    if isinstance(data, str) and "json" not in content_type:
        return data.encode()
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def _from_structured(key: bytes | None, value: bytes) -> CloudEvent:
    try:
        envelope = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotACloudEvent("structured mode record whose value is not JSON") from exc
    if not isinstance(envelope, dict):
        raise NotACloudEvent("structured mode record whose value is not a JSON object")
    for attribute in _REQUIRED:
        if not envelope.get(attribute):
            raise NotACloudEvent(f"structured mode record without {attribute}")
    data = _structured_data(envelope)
    if key is not None:
        envelope["partitionkey"] = _key_text(key)
    return CloudEvent.create(envelope, data)


def from_record(
    key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
) -> CloudEvent:
    """The CloudEvent a record carries, in binary or structured mode; data stays raw bytes.

    Raises ``NotACloudEvent`` for any other record.
    """
    mode = content_mode(headers)
    if mode == "binary":
        return _from_binary(key, value, headers)
    if mode == "structured":
        return _from_structured(key, value)
    raise NotACloudEvent("neither ce_specversion nor a structured content-type")


def _extension_name(header: str) -> str:
    return "kafkaheader" + re.sub(r"[^a-z0-9]", "", header.lower())


def knative_kafka_event(
    *,
    source: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
) -> CloudEvent:
    """A record that is not a CloudEvent, wrapped as Knative's KafkaSource wraps it.

    EKB ``InvalidCloudEventInterceptor``: type ``dev.knative.kafka.event``, id
    ``partition:<p>/offset:<o>``, subject ``partition:<p>#<o>``, the record time, the key as
    extensions ``key`` and ``partitionkey``, ``content-type`` as ``datacontenttype`` and every
    other header as extension ``kafkaheader<name>``; the value as data.
    """
    attributes: dict[str, Any] = {
        "id": f"partition:{partition}/offset:{offset}",
        "type": KAFKA_EVENT_TYPE,
        "source": source,
        "subject": f"partition:{partition}#{offset}",
        "time": datetime.fromtimestamp(timestamp_ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
    }
    for name, raw in headers:
        text = (raw or b"").decode(errors="replace")
        if name.lower() == "content-type":
            attributes["datacontenttype"] = text.lower()
        else:
            attributes[_extension_name(name)] = text
    key_text = _key_text(key)
    if key_text is not None:
        attributes["key"] = attributes["partitionkey"] = key_text
    return CloudEvent.create(attributes, value)
