"""The access line both runtimes write per request: the same fields, so one CloudWatch Logs
Insights query follows a request from the load balancer's trace id across the service and the
DELETE function."""

from __future__ import annotations

import time
from typing import Final

#: The fields of an access line, beside the logger's own time, level and message.
FIELDS: Final = ("request_id", "trace_id", "subject", "method", "path", "status", "duration_ms")
MESSAGE: Final = "request"


def access_fields(
    *,
    request_id: str,
    trace_id: str | None,
    subject: str | None,
    method: str,
    path: str,
    status: int,
    started: float,
) -> dict[str, object]:
    """``started`` is a ``time.perf_counter()`` reading taken when the request arrived."""
    return {
        "request_id": request_id,
        "trace_id": trace_id,
        #: The token's ``sub`` when the stack has auth on: who did it, never the token.
        "subject": subject,
        "method": method,
        "path": path,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
