"""CloudEvents over HTTP in binary mode: header values percent-encoded as §3.1.3.2 asks."""

from __future__ import annotations

import httpx
import pytest
from cloudevents.http import CloudEvent, from_http

from events.http import percent_decoded, percent_decoded_value, percent_encoded, to_binary_http


def _event(**extensions: str) -> CloudEvent:
    return CloudEvent.create(
        {"type": "test.event", "source": "/test", "datacontenttype": "application/json"}
        | extensions,
        {"n": 1},
    )


@pytest.mark.parametrize(
    "value",
    ["josé@bücher.example", "two words", 'say "hi"', "100%", "%41 is not A", "日本語 ☎ 😀", ""],
)
def test_a_value_survives_the_round_trip_through_binary_headers(value: str) -> None:
    headers, body = to_binary_http(_event(sender=value))
    received = percent_decoded(from_http(headers, body))
    assert received["sender"] == value
    assert received.get_data() == {"n": 1}


def test_every_header_is_printable_ascii_so_httpx_can_send_it() -> None:
    headers, _ = to_binary_http(_event(sender="josé@bücher.example", note='a "b" 5%'))
    for value in headers.values():
        assert all("!" <= c <= "~" for c in value), value
    request = httpx.Request("POST", "http://example.invalid/", headers=headers)
    assert request.headers["ce-sender"] == "jos%C3%A9@b%C3%BCcher.example"
    assert request.headers["ce-note"] == "a%20%22b%22%205%25"


def test_ascii_values_are_unchanged_on_the_wire() -> None:
    event = _event(channel="web_form", partitionkey="customer-1")
    headers, body = to_binary_http(event)
    assert headers["ce-channel"] == "web_form"
    assert headers["ce-partitionkey"] == "customer-1"
    assert headers["ce-source"] == "/test"
    assert headers["ce-id"] == event["id"]
    assert headers["content-type"] == "application/json"
    assert body == b'{"n":1}'


def test_bytes_data_passes_through_raw() -> None:
    event = CloudEvent.create(
        {"type": "t", "source": "/s", "datacontenttype": "application/octet-stream"}, b"\x00\xff"
    )
    _, body = to_binary_http(event)
    assert body == b"\x00\xff"


@pytest.mark.parametrize("value", ["plain", "50% off", "%zz", "%C3", "%FF%FE", "a%2"])
def test_values_without_a_valid_percent_sequence_are_left_alone(value: str) -> None:
    assert percent_decoded_value(value) == value


def test_an_event_with_nothing_encoded_is_returned_as_it_is() -> None:
    event = _event(channel="web_form")
    assert percent_decoded(event) is event


def test_encoding_uses_utf8_bytes() -> None:
    assert percent_encoded("é") == "%C3%A9"
    assert percent_encoded("😀") == "%F0%9F%98%80"
    assert percent_encoded("~!") == "~!"
