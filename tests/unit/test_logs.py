"""Log lines: one JSON object each, about a ticket, an event and a trace, never a customer."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared import logs
from shared.logs import JsonLines


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines("agent-runner"))
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def _read(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_inside_a_span_carries_its_trace_ticket_and_event(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = lines
    with (
        logs.scope(),
        TracerProvider().get_tracer("t").start_as_current_span("agent-runner") as span,
    ):
        logs.about(ticket="TKT-0042", event_id="e-1")
        logger.info("handled %s", "io.digitalfte.support.message.received")
    [line] = _read(stream)
    context = span.get_span_context()
    assert line["message"] == "handled io.digitalfte.support.message.received"
    assert (line["service"], line["level"], line["logger"]) == ("agent-runner", "INFO", "test.logs")
    assert (line["ticket"], line["event_id"]) == ("TKT-0042", "e-1")
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_what_a_task_said_it_was_about_ends_with_its_scope(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = lines
    with logs.scope():
        logs.about(ticket="TKT-0042")
    logger.info("later")
    [line] = _read(stream)
    assert "ticket" not in line and "trace_id" not in line


def test_an_exception_is_logged_by_its_type_and_place_never_its_message(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = lines
    try:
        raise ValueError("ada@example.com wrote: my card 4111 is declined")
    except ValueError:
        logger.exception("the handler failed")
    [line] = _read(stream)
    assert line["error"] == "ValueError"
    assert "test_an_exception_is_logged_by_its_type_and_place" in str(line["stack"])
    assert "ada@example.com" not in stream.getvalue() and "4111" not in stream.getvalue()


def test_text_outside_ascii_stays_readable_and_each_record_is_one_line(
    lines: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = lines
    logger.warning("reply for Zürich\nsecond line")
    assert stream.getvalue().count("\n") == 1
    assert _read(stream)[0]["message"] == "reply for Zürich\nsecond line"
