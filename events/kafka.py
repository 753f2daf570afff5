"""The CloudEvents Kafka binding, binary mode: ``ce_*`` headers, data as the value, key = partitionkey."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cloudevents.http import CloudEvent
from cloudevents.kafka import KafkaMessage, from_binary, to_binary

Headers = list[tuple[str, bytes]]


def _marshal(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    return json.dumps(data, separators=(",", ":")).encode()


def to_record(event: CloudEvent) -> tuple[bytes | None, bytes, Headers]:
    """(key, value, headers) for a producer. ``partitionkey`` stays an attribute too."""
    message = to_binary(event, data_marshaller=_marshal)
    headers = list(message.headers.items())
    key = message.key
    if key is not None:
        headers.append(("ce_partitionkey", key.encode() if isinstance(key, str) else key))
    key_bytes = key.encode() if isinstance(key, str) else key
    return (
        key_bytes,
        message.value if isinstance(message.value, bytes) else message.value.encode(),
        headers,
    )


def from_record(
    key: bytes | None, value: bytes, headers: Sequence[tuple[str, bytes]]
) -> CloudEvent:
    """The CloudEvent a binary-mode record carries; data stays raw bytes."""
    message = KafkaMessage(
        headers={k: v for k, v in headers if k != "ce_partitionkey"},
        key=key.decode() if key is not None else None,
        value=value,
    )
    return from_binary(message, data_unmarshaller=lambda body: body)
