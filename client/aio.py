"""The client, for asyncio (or trio: it sleeps through anyio, as httpx runs on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import anyio
import httpx

from client import operations, retry
from client.auth import BearerToken
from client.errors import Unreachable
from client.retry import DEFAULT_RETRIES, RetryPolicy
from client.sync import USER_AGENT

if TYPE_CHECKING:
    import ssl
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
    from types import TracebackType

    from client.auth import TokenHook
    from client.models import Created, Item
    from client.operations import Call, T


class AsyncPicusClient:
    """PicusClient's calls, awaited. ``token`` may be a coroutine function (awaited before
    every send) or a plain one."""

    def __init__(
        self,
        base_url: str,
        *,
        token: TokenHook | None = None,
        retries: RetryPolicy = DEFAULT_RETRIES,
        timeout: float = 15.0,
        headers: Mapping[str, str] | None = None,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.retries = retries
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=BearerToken(token) if token is not None else None,
            headers={"user-agent": USER_AGENT, **(headers or {})},
            timeout=timeout,
            verify=verify,
            transport=transport,
            follow_redirects=False,
        )

    async def __aenter__(self) -> AsyncPicusClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def put(
        self, payload: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Created:
        """See PicusClient.put: always sent with an Idempotency-Key."""
        return await self._call(operations.put(payload, idempotency_key))

    @overload
    async def get(self, key: str) -> Item: ...
    @overload
    async def get(self, key: str, *, if_none_match: str) -> Item | None: ...
    async def get(self, key: str, *, if_none_match: str | None = None) -> Item | None:
        return await self._call(operations.get(key, if_none_match))

    async def replace(self, key: str, payload: Mapping[str, Any], *, if_match: str) -> Item:
        return await self._call(operations.replace(key, payload, if_match))

    async def delete(self, key: str, *, if_match: str | None = None) -> str:
        return await self._call(operations.delete(key, if_match))

    async def iter_items(self, limit: int | None = None) -> AsyncIterator[Item]:
        cursor: str | None = None
        while True:
            page = await self._call(operations.page(limit, cursor))
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        built = self._http.build_request(method, path, json=json, params=params, headers=headers)
        return (await self._send(built)).response

    async def _call(self, call: Call[T]) -> T:
        request = self._http.build_request(
            call.method, call.path, params=call.params, headers=call.headers, content=call.content
        )
        return operations.answer(call, await self._send(request))

    async def _send(self, request: httpx.Request) -> retry.Sent:
        attempts = retry.Attempts(self.retries, request)
        while True:
            attempts.count += 1
            try:
                response = await self._http.send(request)
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
            await self._sleep(wait)
