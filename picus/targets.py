"""Which request targets the API answers at all: one spelling per resource.

The load balancer matches its rules on the path as the client sent it (AWS does not document
whether, or how, it decodes percent-escapes or dot segments first), while uvicorn hands
Starlette the decoded path. A path with two spellings could then be matched by one rule at the
edge and routed to another handler behind it. No path of this API needs a percent-escape, a dot
segment, an empty segment or a ``;`` parameter, so a target that has one names nothing: both
runtimes answer it with the contract's 404 before any routing. For a canonical path, the raw
and the decoded spelling are the same string, and the edge and the service see one request.
"""

from __future__ import annotations

import re
from typing import Final

#: What both runtimes answer a second spelling with, beside the contract's 404.
NOT_CANONICAL: Final = "no such route: a path of this API has no escapes, dot or empty segments"
#: RFC 3986's unreserved characters: the only ones a path segment of this API is made of.
_SEGMENT: Final = re.compile(r"[A-Za-z0-9._~-]+")


def is_canonical(raw_path: str) -> bool:
    """``raw_path``: the path as it arrived, before any percent-decoding, without the query."""
    if not raw_path.startswith("/"):
        return False
    return all(
        _SEGMENT.fullmatch(segment) is not None and segment not in (".", "..")
        for segment in raw_path[1:].split("/")
    )
