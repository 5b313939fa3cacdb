"""Which web pages may call the API from a browser (CORS, the Fetch standard), and the headers
that tell the browser so, defined once for the service and the function.

A stack names its browser origins (``corsOrigins``; none by default), and both runtimes read
them from :data:`CORS_ORIGINS_ENV`. Only exact origins: no ``*`` and no pattern, so a page
reads the API's answers only where the stack's owner said so. A request from any other origin
gets no CORS header at all, and the browser keeps the answer from the page.

The API takes a bearer token in ``Authorization``, never a cookie: no request is "credentialed"
in the Fetch standard's sense, so ``Access-Control-Allow-Credentials`` is never sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from picus import contract
from picus.routing import allowed_methods, operation_at
from picus.targets import is_canonical

#: How a stack hands its origins to both runtimes: comma-separated exact origins.
CORS_ORIGINS_ENV: Final = "PICUS_CORS_ORIGINS"

#: How long a browser may reuse a preflight's answer. Chromium caps it at 7200 s and Firefox at
#: 86400 s; ten minutes spares most preflights and lets a changed setting reach pages soon.
MAX_AGE_SECONDS: Final = 600

#: Every request header the API reads that a page may set: a preflight allows these.
ALLOWED_REQUEST_HEADERS: Final = (
    "authorization",
    "content-type",
    contract.IF_MATCH_HEADER,
    contract.IF_NONE_MATCH_HEADER,
    contract.IDEMPOTENCY_KEY_HEADER,
    contract.REQUEST_ID_HEADER,
)
#: The response headers a page may read beside the safelisted ones (Content-Type, ...).
EXPOSED_HEADERS: Final = (
    contract.ETAG_HEADER,
    contract.IDEMPOTENT_REPLAYED_HEADER,
    "location",
    "retry-after",
    contract.REQUEST_ID_HEADER,
)

ORIGIN: Final = "origin"
REQUEST_METHOD: Final = "access-control-request-method"
ALLOW_ORIGIN: Final = "access-control-allow-origin"
ALLOW_METHODS: Final = "access-control-allow-methods"
ALLOW_HEADERS: Final = "access-control-allow-headers"
EXPOSE_HEADERS: Final = "access-control-expose-headers"
MAX_AGE: Final = "access-control-max-age"
VARY: Final = "vary"

#: An origin as a browser serialises it in ``Origin`` (RFC 6454, 6.1): a lowercase scheme and
#: host, a port only where it is not the scheme's default, nothing after. A configured origin
#: must be written so, since the browser's header is compared with it character for character.
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_ORIGIN_RE: Final = re.compile(
    rf"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]+))?"
)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_EXAMPLE: Final = "https://app.example.com"


def origin_problem(text: str, *, schemes: Iterable[str] = ("https", "http")) -> str | None:
    """Why ``text`` is not an exact origin a policy can hold; None when it is one."""
    if "*" in text:
        return f"{text!r}: no wildcard, name each origin (like {_EXAMPLE})"
    match = _ORIGIN_RE.fullmatch(text)
    allowed = tuple(schemes)
    if match is None:
        return (
            f"{text!r} is not an origin: scheme://host[:port] in lowercase, with no path "
            f"(like {_EXAMPLE})"
        )
    if match["scheme"] not in allowed:
        return f"{text!r}: the scheme must be {' or '.join(allowed)}"
    if match["port"] is not None:
        port = int(match["port"])
        if not 0 < port < 65536 or match["port"] != str(port):
            return f"{text!r}: {match['port']} is not a port"
        if port == _DEFAULT_PORTS.get(match["scheme"]):
            # Browsers never send a default port: this spelling would match no request.
            return f"{text!r}: leave out the default port, as browsers do"
    return None


@dataclass(frozen=True)
class CorsPolicy:
    """The origins whose pages may call the API."""

    origins: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> CorsPolicy | None:
        """``https://a.example,https://b.example``; None for an empty setting (no origin).
        ValueError naming every entry that is not an exact origin."""
        origins = [part.strip() for part in text.split(",") if part.strip()]
        problems = [p for p in map(origin_problem, origins) if p is not None]
        if problems:
            raise ValueError("; ".join(problems))
        return cls(frozenset(origins)) if origins else None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> CorsPolicy | None:
        """The policy a runtime was given; ValueError naming :data:`CORS_ORIGINS_ENV`."""
        try:
            return cls.parse(env.get(CORS_ORIGINS_ENV, ""))
        except ValueError as exc:
            raise ValueError(f"{CORS_ORIGINS_ENV}: {exc}") from None

    def allows(self, origin: str | None) -> bool:
        return origin is not None and origin in self.origins

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """What every answer carries, to the request's ``Origin`` (None: it sent none)."""
        # The answer differs by Origin, whether or not this one is allowed: a cache between
        # the API and two pages must not hand one page's answer to the other.
        headers = {VARY: ORIGIN}
        if origin is not None and self.allows(origin):
            headers[ALLOW_ORIGIN] = origin
            headers[EXPOSE_HEADERS] = ", ".join(EXPOSED_HEADERS)
        return headers

    def preflight(
        self, method: str, raw_path: str, origin: str | None, request_method: str | None
    ) -> dict[str, str] | None:
        """The headers of the 204 that answers a preflight from an allowed origin, for a path
        the API serves; None when this is no such preflight, and the request is answered as
        any other (a 405 or a 404, without CORS headers: the browser then blocks the call)."""
        if method != "OPTIONS" or request_method is None or not self.allows(origin):
            return None
        operation = operation_at(raw_path) if is_canonical(raw_path) else None
        if operation is None or origin is None:
            return None
        return {
            VARY: ORIGIN,
            ALLOW_ORIGIN: origin,
            # Every method the path answers, whichever the browser asked about: it checks.
            ALLOW_METHODS: ", ".join(allowed_methods(operation)),
            ALLOW_HEADERS: ", ".join(ALLOWED_REQUEST_HEADERS),
            MAX_AGE: str(MAX_AGE_SECONDS),
        }


def read_environment(env: Mapping[str, str]) -> tuple[CorsPolicy | None, str | None]:
    """The policy, or the reason it cannot be read (for a runtime that must not raise at
    import: the DELETE function). An unreadable setting allows no origin: closed, not open."""
    try:
        return CorsPolicy.from_environment(env), None
    except ValueError as exc:
        return None, str(exc)


def cors_environment(origins: Iterable[str]) -> dict[str, str]:
    """What the stack sets in both runtimes' environment for ``origins``."""
    listed = sorted(set(origins))
    return {CORS_ORIGINS_ENV: ",".join(listed)} if listed else {}
