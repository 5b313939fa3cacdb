"""How long a client may take to send its request, and what it gets when it takes longer.

uvicorn bounds only the idle time between requests (``timeout_keep_alive``): a request whose
headers, or whose body, arrive slowly holds its connection, and the memory of what came, for as
long as the client likes. The load balancer cuts a header read that idles 60 s, but passes a
trickling body on. So:

- the headers of a request must arrive within ``header_timeout`` of its first byte: else a 408,
  written by the protocol (no request exists yet for the application to answer), and the
  connection closed. A subclass of uvicorn's httptools protocol, given to ``uvicorn.Config``
  as its ``http`` class, watches the parser's callbacks for this;
- its body must arrive within ``body_timeout`` of its headers: else the endpoint reading it
  gets :class:`~picus.errors.RequestTimeout`, a 408 in the API's shape, logged in the access
  line, with ``Connection: close`` (what is left of the body is no next request).

Both limits sit below the load balancer's idle timeout (the settings refuse more).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from picus.errors import ErrorCode, RequestTimeout, error_json

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("picus.service")


def _late_headers_answer(seconds: float) -> bytes:
    body = error_json(
        ErrorCode.REQUEST_TIMEOUT, f"the request's headers took over {seconds:g} s", ""
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, answering 408 to headers slower than ``header_timeout``
    (:func:`header_deadline_protocol` makes one per setting)."""

    header_timeout: float = 10.0
    _transport: asyncio.Transport | None = None
    _late: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._transport = transport
        super().connection_made(transport)

    def on_message_begin(self) -> None:
        # The first byte of a request: its headers are due from now.
        super().on_message_begin()
        self._stop_watching()
        loop = asyncio.get_running_loop()
        self._late = loop.call_later(self.header_timeout, self._headers_late)

    def on_headers_complete(self) -> None:
        self._stop_watching()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def _stop_watching(self) -> None:
        if self._late is not None:
            self._late.cancel()
            self._late = None

    def _headers_late(self) -> None:
        self._late = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        log.info("408: a request's headers took over %g s", self.header_timeout)
        # Only between answers: a pipelined request's answer must not cut into the one before.
        if self.cycle is None or self.cycle.response_complete:
            transport.write(_late_headers_answer(self.header_timeout))
        transport.close()


def header_deadline_protocol(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with this header deadline."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})


class BodyDeadlineMiddleware:
    """Gives a request's body ``seconds`` from its headers to arrive: a read still waiting
    then raises :class:`~picus.errors.RequestTimeout` in the endpoint reading it."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.seconds
        body_done = False

        async def receive_in_time() -> Message:
            nonlocal body_done
            if body_done:
                # After the body, a read waits for the client to leave: no deadline.
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(f"the request's body took over {self.seconds:g} s") from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, receive_in_time, send)
