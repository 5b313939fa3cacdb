"""When the client sends a call again, and how long it waits first.

A call is sent again only when sending it twice cannot do twice what once would (RFC 9110,
9.2.2): GET, HEAD, PUT, DELETE and OPTIONS, and a POST that carries an ``Idempotency-Key``
(the server answers its retry with the first answer). It is sent again after no answer (a
connection refused or dropped, a timeout), after 429 and 503, and, for a POST with its key,
after 409 ``idempotency_key_in_use`` (the first attempt is still being written). A
``Retry-After`` is honoured, in seconds or as an HTTP-date; without one the wait doubles, with
full jitter so that many clients do not come back together.
"""

from __future__ import annotations

import email.utils
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import httpx

from picus.contract import IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER
from picus.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Callable

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: What "no answer" means: the request may or may not have reached the server.
NO_ANSWER: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a call is sent at most, and the waits between."""

    #: Every send counts, the first included: 1 never retries.
    attempts: int = 4
    #: The first wait without a Retry-After; each later one doubles, up to ``max_backoff_s``.
    backoff_s: float = 0.25
    max_backoff_s: float = 8.0
    #: A Retry-After asking for longer is not slept through: the error is raised, carrying it.
    max_retry_after_s: float = 60.0
    #: Waits drawn from [0, backoff] (full jitter); False waits the backoff itself.
    jitter: bool = True
    statuses: frozenset[int] = frozenset({429, 503})

    def backoff(
        self, attempt: int, draw: Callable[[float, float], float] = random.uniform
    ) -> float:
        """The wait after the ``attempt``-th send (from 1) when the answer named none."""
        ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
        return draw(0.0, ceiling) if self.jitter else ceiling


DEFAULT_RETRIES: Final = RetryPolicy()
NEVER: Final = RetryPolicy(attempts=1)


def replayable(request: httpx.Request) -> bool:
    """Whether sending ``request`` twice is safe: an idempotent method, or a POST with its key."""
    return request.method in IDEMPOTENT_METHODS or (
        request.method == "POST" and IDEMPOTENCY_KEY_HEADER in request.headers
    )


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` asks for (RFC 9110, 10.2.3): a number of seconds or an
    HTTP-date; None when absent or neither."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _own_key_in_use(request: httpx.Request, response: httpx.Response) -> bool:
    if response.status_code != 409 or IDEMPOTENCY_KEY_HEADER not in request.headers:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") == ErrorCode.IDEMPOTENCY_KEY_IN_USE.code


def wait_after_answer(
    policy: RetryPolicy, attempt: int, request: httpx.Request, response: httpx.Response
) -> float | None:
    """Seconds to wait before sending ``request`` again after ``response``; None: do not."""
    if attempt >= policy.attempts or not replayable(request):
        return None
    if response.status_code not in policy.statuses and not _own_key_in_use(request, response):
        return None
    asked = retry_after(response.headers.get("retry-after"))
    if asked is None:
        return policy.backoff(attempt)
    return asked if asked <= policy.max_retry_after_s else None


def wait_after_no_answer(policy: RetryPolicy, attempt: int, request: httpx.Request) -> float | None:
    """Seconds to wait before sending ``request`` again after it got no answer; None: do not."""
    if attempt >= policy.attempts or not replayable(request):
        return None
    return policy.backoff(attempt)


def describe(request: httpx.Request, error: Exception, attempt: int) -> str:
    """What went wrong with a call that got no answer, for a person."""
    why = str(error) or type(error).__name__
    tries = f" ({attempt} attempts)" if attempt > 1 else ""
    return f"{request.method} {request.url}: {why}{tries}"


#: What the API answers a conditional write whose version, or item, is already gone.
_GONE_STATUSES: Final = frozenset({404, 412})


def maybe_applied_before(request: httpx.Request, response: httpx.Response) -> bool:
    """Whether ``response`` may be the answer to this write having already been done by an
    earlier attempt that got no answer, or a 503: a replace or delete naming a version (an
    earlier attempt that landed changed it), or a delete (it removed the item)."""
    conditional = request.method in ("PUT", "DELETE") and IF_MATCH_HEADER in request.headers
    return (conditional or request.method == "DELETE") and (response.status_code in _GONE_STATUSES)


@dataclass(frozen=True)
class Sent:
    """A call's last answer, and whether an attempt before it may have reached the API."""

    response: httpx.Response
    uncertain: bool


@dataclass
class Attempts:
    """One call's sends so far, for the blocking and the async client alike: how many, and
    whether one may have reached the API without its answer reaching the client (no answer,
    or a 503 after which it was sent again)."""

    policy: RetryPolicy
    request: httpx.Request
    count: int = 0
    uncertain: bool = False

    def no_answer(self) -> float | None:
        """Seconds to wait after the latest send got no answer; None: give up."""
        self.uncertain = True
        return wait_after_no_answer(self.policy, self.count, self.request)

    def answered(self, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again after ``response``; None: it is the answer."""
        wait = wait_after_answer(self.policy, self.count, self.request, response)
        if wait is not None and response.status_code == 503:
            self.uncertain = True
        return wait

    def sent(self, response: httpx.Response) -> Sent:
        return Sent(response, self.uncertain)

    def describe(self, error: Exception) -> str:
        return describe(self.request, error, self.count)
