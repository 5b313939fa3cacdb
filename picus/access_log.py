"""The access line both runtimes write per request: the same fields, so one CloudWatch Logs
Insights query follows a request from the load balancer's trace id across the service and the
DELETE function.

Every value a client chose (the path, the method, the trace id, the subject) is bounded and
written with its control characters escaped, so no request can make a line huge, break it in
two, or drive a developer's terminal. The path is the one the client sent, still
percent-encoded: what was asked for, beside ``route``, what served it.
"""

from __future__ import annotations

import re
import time
from typing import Final

#: The fields of an access line, beside the logger's own time, level and message.
FIELDS: Final = (
    "request_id",
    "trace_id",
    "subject",
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
)
MESSAGE: Final = "request"
#: The status of a request whose client left before it was read whole: nothing was done, and
#: no answer reached anyone (nginx's convention, and the load balancer logs it so too). Below
#: 500: a client's abort counts as no failure of the service.
CLIENT_CLOSED_REQUEST: Final = 499

#: An X-Amzn-Trace-Id is a few dozen characters; a client may send more, the log keeps this.
MAX_TRACE_ID: Final = 256
#: A path of this API is under 60 characters; the line keeps enough of a longer one to read it.
MAX_PATH: Final = 512
MAX_METHOD: Final = 16
MAX_SUBJECT: Final = 256
#: C0 controls, DEL and C1 controls: what a terminal acts on instead of printing.
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (marked with ``…``), each control character
    written as ``\\xNN``."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", cut)


def access_fields(
    *,
    request_id: str,
    trace_id: str | None,
    subject: str | None,
    method: str,
    path: str,
    route: str | None,
    status: int,
    started: float,
) -> dict[str, object]:
    """``started`` is a ``time.perf_counter()`` reading taken when the request arrived;
    ``path`` the raw path as it arrived; ``route`` the template of the route that served it,
    None where none did."""
    return {
        "request_id": request_id,
        "trace_id": printable(trace_id, MAX_TRACE_ID) if trace_id is not None else None,
        #: The token's ``sub``, only where the load balancer verified the token: who did it,
        #: never the token.
        "subject": printable(subject, MAX_SUBJECT) if subject is not None else None,
        "method": printable(method, MAX_METHOD),
        "path": printable(path, MAX_PATH),
        "route": route,
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
