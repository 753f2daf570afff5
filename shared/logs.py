"""Logs: one JSON object per line on stderr, with the ticket, event and trace they belong to.

Every function (``shared.observed``) and every process of the dev stack calls ``configure``
once. A line carries what it is about — ``ticket``, ``event_id``, ``trace_id`` and ``span_id``
— never whom: messages name ids and reasons, never an address, a phone number or a text. An
exception is logged by its type and where it was raised, not by its message, which may quote
what a customer sent.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

from opentelemetry import trace

_about: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "fte_log_about", default=None
)
# The loggers of the servers we run under, which otherwise keep handlers of their own.
_SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "gunicorn.error",
    "gunicorn.access",
)
# Loggers whose INFO lines hold whole URLs (a query may carry a token) or a client's address,
# one per request: a function logs its own line per request or event instead (shared/observed.py).
_QUIET_BELOW_WARNING = ("uvicorn.access", "httpx", "httpcore")
_configured: str | None = None


class JsonLines(logging.Formatter):
    """A record as one line of JSON: time, level, logger, service, message and what it is about."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        line |= _about.get() or {}
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        if record.exc_info and record.exc_info[0] is not None:
            kind, _, tb = record.exc_info
            line["error"] = kind.__name__  # its message may quote a customer: never logged
            line["stack"] = [
                f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)
            ]
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(service: str, level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every logger's records, the servers' too, to ``stream`` (stderr) as JSON lines.

    The first call in a process decides; later ones change nothing.
    """
    global _configured
    if _configured is not None:
        return
    _configured = service
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines(service))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    for name in _SERVER_LOGGERS:
        server = logging.getLogger(name)
        server.handlers[:] = []
        server.propagate = True
    for name in _QUIET_BELOW_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)


def about(*, ticket: str | None = None, event_id: str | None = None) -> None:
    """From now on in this task, lines carry this ticket number and event id."""
    fields = {k: v for k, v in (("ticket", ticket), ("event_id", event_id)) if v}
    if fields:
        _about.set((_about.get() or {}) | fields)


@contextmanager
def scope() -> Iterator[None]:
    """What ``about`` adds inside lasts until the end of the block."""
    token = _about.set(dict(_about.get() or {}))
    try:
        yield
    finally:
        _about.reset(token)
