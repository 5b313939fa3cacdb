"""A fault-injecting HTTP proxy between a DynamoDB client and a real local DynamoDB.

Runs on its own event loop in a thread; ``proxy.fault`` switches what the next requests get.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


class Fault(enum.Enum):
    NONE = "none"
    DOWN = "down"  # connection refused
    BLACK_HOLE = "black_hole"  # accepts, never answers
    SLOW = "slow"  # answers after `delay` seconds
    THROTTLE = "throttle"  # ProvisionedThroughputExceededException
    SERVER_ERROR = "server_error"  # 500 InternalServerError
    RESET = "reset"  # forwards the request, then resets the connection mid-response
    ERROR = "error"  # the error in ``FaultProxy.error``: (HTTP status, DynamoDB code, message)


_ERRORS = {
    Fault.THROTTLE: (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    Fault.SERVER_ERROR: (
        500,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "Internal server error",
    ),
}


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    fault: Fault = Fault.NONE
    delay: float = 3.0
    error: tuple[int, str, str] = (400, "ValidationException", "")
    #: Requests passed on untouched before the fault applies, and how many it applies to then
    #: (None: every one after), so that a test can fail one call of several.
    spare: int = 0
    times: int | None = None
    #: Requests that reached the proxy, and those it passed on to DynamoDB, by operation.
    received: list[str] = field(default_factory=list)
    forwarded: list[str] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.Server | None = None
    _clients: set[asyncio.StreamWriter] = field(default_factory=set)

    def _fault_now(self) -> Fault:
        """The fault for the request just read, counting it against ``spare`` and ``times``."""
        if self.fault is Fault.NONE:
            return Fault.NONE
        if self.spare > 0:
            self.spare -= 1
            return Fault.NONE
        if self.times is not None:
            if self.times <= 0:
                return Fault.NONE
            self.times -= 1
        return self.fault

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _read_request(self, reader: asyncio.StreamReader) -> bytes | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        body = await reader.readexactly(length) if length else b""
        return head + body

    async def _forward(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            # One request per upstream connection keeps the framing simple.
            head, _, body = request.partition(b"\r\n\r\n")
            lines = [
                line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")
            ]
            writer.write(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    return
                # Read now: the fault may have changed while this connection sat idle.
                fault = self._fault_now()
                if fault is Fault.BLACK_HOLE:
                    await asyncio.sleep(3600)
                target = _header(request, b"x-amz-target").rsplit(".", 1)[-1]
                self.received.append(target)
                if fault in _ERRORS or fault is Fault.ERROR:
                    status, kind, message = self.error if fault is Fault.ERROR else _ERRORS[fault]
                    if "#" not in kind:
                        kind = f"com.amazonaws.dynamodb.v20120810#{kind}"
                    body = json.dumps({"__type": kind, "message": message}).encode()
                    writer.write(_response(status, body))
                    await writer.drain()
                    continue
                if fault is Fault.SLOW:
                    await asyncio.sleep(self.delay)
                self.forwarded.append(target)
                response = await self._forward(request)
                if fault is Fault.RESET:
                    writer.write(response[: len(response) // 2])
                    await writer.drain()
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                # The upstream closed after its answer; keep the client's connection open.
                writer.write(_keep_alive(response))
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._clients.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    @contextlib.contextmanager
    def running(self) -> Iterator[FaultProxy]:
        loop = self._loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(self._open_listener(), loop).result(10)
        try:
            yield self
        finally:

            async def stop() -> None:
                if self._server is not None:
                    self._server.close()
                for client in list(self._clients):
                    client.transport.abort()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:
                    task.cancel()
                # Awaited, so that no task is pending when the loop closes.
                await asyncio.gather(*tasks, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def set(self, fault: Fault) -> None:
        """Switch the fault; DOWN stops listening so new connections are refused."""
        assert self._loop is not None
        previous, self.fault = self.fault, fault
        if fault is Fault.NONE:
            self.spare, self.times = 0, None
        if fault is Fault.DOWN:
            asyncio.run_coroutine_threadsafe(self._close_listener(), self._loop).result(5)
        elif previous is Fault.DOWN:
            asyncio.run_coroutine_threadsafe(self._open_listener(), self._loop).result(5)

    async def _close_listener(self) -> None:
        assert self._server is not None
        self._server.close()
        # Established keep-alive connections die too, as when the host goes away.
        for client in list(self._clients):
            client.transport.abort()

    async def _open_listener(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]


def _header(request: bytes, name: bytes) -> str:
    head = request.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip().decode()
    return ""


def _response(status: int, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status} Error\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode() + body


def _keep_alive(response: bytes) -> bytes:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = [
        line
        for line in head.split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"content-length:", b"transfer-encoding:"))
    ]
    if any(line.lower().startswith(b"transfer-encoding: chunked") for line in head.split(b"\r\n")):
        body = _dechunk(body)
    lines += [b"Content-Length: " + str(len(body)).encode(), b"Connection: keep-alive"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out
