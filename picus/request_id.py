"""Which request id a request carries: the caller's, the ALB's trace id, or a new one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

_SAFE = re.compile(r"[A-Za-z0-9._:;=@/+-]{1,128}")


def _safe(value: str | None) -> str | None:
    # Ids end up in logs and headers: anything unusual is replaced, never echoed.
    if value is not None and _SAFE.fullmatch(value):
        return value
    return None


def pick_request_id(
    request_id: str | None,
    trace_id: str | None,
    generate: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> str:
    return _safe(request_id) or _safe(trace_id) or generate()
