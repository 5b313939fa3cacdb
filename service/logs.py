"""Structured JSON logs: one object per line, on stdout, for CloudWatch to index."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else was passed through ``extra=``.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


#: The request being served (request_id, trace_id), stamped on every line logged meanwhile.
_request_fields: ContextVar[dict[str, str] | None] = ContextVar("picus_request", default=None)
#: An X-Amzn-Trace-Id is a few dozen characters; a client may send more, the log keeps this.
MAX_TRACE_ID = 256


@contextmanager
def request_fields(request_id: str, trace_id: str | None) -> Iterator[None]:
    fields = {"request_id": request_id}
    if trace_id:
        fields["trace_id"] = trace_id[:MAX_TRACE_ID]
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


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
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
