"""The bearer token, asked for on every send, so that a caller's hook can refresh it (a
client-credentials token expires; a retry after a long Retry-After may need a new one)."""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import httpx

from client.errors import PicusError

#: A hook giving the token to send: a plain function, or (AsyncPicusClient) a coroutine one.
TokenHook = Callable[[], str | Awaitable[str]]


class InsecureTransport(PicusError):
    """A token would travel in clear: an http URL to a host other than this machine."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _authorize(request: httpx.Request, token: str) -> None:
    # A bearer token is the caller's identity to whoever reads it: over http only to this
    # machine (a local origin), never across a network.
    if request.url.scheme != "https" and not _loopback(request.url.host):
        raise InsecureTransport(f"a bearer token is sent over https only, not to {request.url}")
    request.headers["authorization"] = f"Bearer {token}"


class BearerToken(httpx.Auth):
    """``Authorization: Bearer <hook()>`` on every request, the hook called each time."""

    def __init__(self, hook: TokenHook) -> None:
        self.hook = hook

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        token = self.hook()
        if inspect.isawaitable(token):
            if inspect.iscoroutine(token):
                token.close()  # never awaited: close it rather than leave a warning behind
            raise TypeError("a coroutine token hook needs AsyncPicusClient")
        _authorize(request, token)
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self.hook()
        _authorize(request, await token if inspect.isawaitable(token) else token)
        yield request
