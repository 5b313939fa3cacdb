"""The client, blocking."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, overload

import httpx

from client import operations, retry
from client.auth import BearerToken
from client.errors import Unreachable
from client.retry import DEFAULT_RETRIES, RetryPolicy
from picus.version import VERSION

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Iterator, Mapping
    from types import TracebackType

    from client.models import Created, Item
    from client.operations import Call, T

#: What every call names as its User-Agent: this client at the one version (picus/version.py).
USER_AGENT = f"picus-client/{VERSION}"


class PicusClient:
    """The API at ``base_url`` (the origin, e.g. ``https://api.example.com``).

    ``token``: called before every send, so it may refresh; ``retries``: how often a call that is
    safe to send again is sent again (``NEVER``: never); ``headers`` go with every call.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: Callable[[], str] | None = None,
        retries: RetryPolicy = DEFAULT_RETRIES,
        timeout: float = 15.0,
        headers: Mapping[str, str] | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.retries = retries
        self._sleep = sleep
        # No redirect is followed: a 3xx is an answer the caller sees, never a URL the token
        # is sent to unchecked.
        self._http = httpx.Client(
            base_url=base_url,
            auth=BearerToken(token) if token is not None else None,
            headers={"user-agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            verify=verify,
            transport=transport,
            follow_redirects=False,
        )

    def __enter__(self) -> PicusClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def put(self, payload: Mapping[str, Any], *, idempotency_key: str | None = None) -> Created:
        """Stores ``payload`` under a new key. Sent with an Idempotency-Key (a fresh one unless
        given), so a retry after no answer or a 503 is answered with the first attempt's item;
        pass your own key to retry across processes."""
        return self._call(operations.put(payload, idempotency_key))

    @overload
    def get(self, key: str) -> Item: ...
    @overload
    def get(self, key: str, *, if_none_match: str) -> Item | None: ...
    def get(self, key: str, *, if_none_match: str | None = None) -> Item | None:
        """The item under ``key``; with ``if_none_match`` (an ETag), None while it still has it."""
        return self._call(operations.get(key, if_none_match))

    def replace(self, key: str, payload: Mapping[str, Any], *, if_match: str) -> Item:
        """Replaces the item's payload if it still has the ETag ``if_match``
        (PreconditionFailed otherwise); returns the item with its new ETag."""
        return self._call(operations.replace(key, payload, if_match))

    def delete(self, key: str, *, if_match: str | None = None) -> str:
        """Deletes the item (with ``if_match``: only if it still has that ETag); returns its key."""
        return self._call(operations.delete(key, if_match))

    def iter_items(self, limit: int | None = None) -> Iterator[Item]:
        """Every item, page by page (``limit`` items a page at most), following next_cursor."""
        cursor: str | None = None
        while True:
            page = self._call(operations.page(limit, cursor))
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Any call, answered as is (no status raises). Retried as the typed calls are, so a
        POST only when it carries an Idempotency-Key."""
        built = self._http.build_request(method, path, json=json, params=params, headers=headers)
        return self._send(built).response

    def _call(self, call: Call[T]) -> T:
        request = self._http.build_request(
            call.method, call.path, params=call.params, headers=call.headers, content=call.content
        )
        return operations.answer(call, self._send(request))

    def _send(self, request: httpx.Request) -> retry.Sent:
        attempts = retry.Attempts(self.retries, request)
        while True:
            attempts.count += 1
            try:
                response = self._http.send(request)
            except retry.NO_ANSWER as error:
                wait = attempts.no_answer()
                if wait is None:
                    raise Unreachable(attempts.describe(error)) from error
            except httpx.TransportError as error:
                raise Unreachable(attempts.describe(error)) from error
            else:
                wait = attempts.answered(response)
                if wait is None:
                    return attempts.sent(response)
            self._sleep(wait)
