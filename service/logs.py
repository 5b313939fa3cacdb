"""Logs on stdout: JSON, one object per line, for CloudWatch to index (the default, and what the
container writes), or short human-readable lines for a developer's terminal."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from picus.access_log import MAX_METHOD, MAX_TRACE_ID, printable

# Attributes every LogRecord has; anything else was passed through ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


#: The request being served (request_id, trace_id), stamped on every line logged meanwhile.
_request_fields: ContextVar[dict[str, str] | None] = ContextVar("picus_request", default=None)
#: The most of a message a terminal line shows.
MAX_TEXT_MESSAGE = 4096


@contextmanager
def request_fields(request_id: str, trace_id: str | None) -> Iterator[None]:
    fields = {"request_id": request_id}
    if trace_id:
        fields["trace_id"] = printable(trace_id, MAX_TRACE_ID)
    token = _request_fields.set(fields)
    try:
        yield
    finally:
        _request_fields.reset(token)


class RequestFields(logging.Filter):
    """Adds the current request's id and trace id to a record that does not carry them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_request_fields.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_STATUS_COLOURS = {2: "32", 3: "36", 4: "33", 5: "31"}  # green, cyan, yellow, red
_LEVEL_COLOURS = {"WARNING": "33", "ERROR": "31", "CRITICAL": "31"}


class TextFormatter(logging.Formatter):
    """``14:24:28 POST /picus/put 201 37 ms`` for an access line, ``14:24:28 WARNING ...``
    for anything else; coloured when ``colour``. What a line prints of a request or a message is
    escaped: a control character a client sent shows as ``\\xNN``, never acts on the terminal."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def _paint(self, code: str | None, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour and code else text

    def format(self, record: logging.LogRecord) -> str:
        clock = self._paint("2", datetime.fromtimestamp(record.created).strftime("%H:%M:%S"))
        fields = vars(record)
        if {"method", "path", "status", "duration_ms"} <= fields.keys():
            status = int(fields["status"])
            line = (
                f"{clock} {printable(str(fields['method']), MAX_METHOD):<6} "
                f"{printable(str(fields['path']), MAX_TEXT_MESSAGE)} "
                f"{self._paint(_STATUS_COLOURS.get(status // 100), str(status))} "
                f"{fields['duration_ms']:.0f} ms"
            )
        else:
            level = self._paint(_LEVEL_COLOURS.get(record.levelname), f"{record.levelname:<7}")
            line = f"{clock} {level} {printable(record.getMessage(), MAX_TEXT_MESSAGE)}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str, text: bool = False, colour: bool = False) -> None:
    """JSON lines unless ``text``: the human format, coloured when ``colour``."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(TextFormatter(colour) if text else JsonFormatter())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would repeat ours, unstructured.
    logging.getLogger("uvicorn.access").disabled = True
    # Libraries' chatter at INFO (credential lookups, the embedded server's own access log).
    for name in ("botocore", "aiobotocore", "werkzeug"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
