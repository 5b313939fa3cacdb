"""One HTTP/1.1 request with its target sent byte for byte: HTTP clients normalise a URL
(dot segments, escapes) before sending it, which is exactly what a test of spellings must not."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def send(
    base_url: str,
    method: str,
    target: bytes,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> RawResponse:
    url = urlsplit(base_url)
    lines = [f"{method} ".encode() + target + b" HTTP/1.1", f"host: {url.netloc}".encode()]
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    lines += [f"{k}: {v}".encode() for k, v in pairs]
    lines += [f"content-length: {len(body)}".encode(), b"connection: close", b"", b""]
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=30) as sock:
        sock.sendall(b"\r\n".join(lines) + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, content = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawResponse(int(status_line.split()[1]), parsed, content)
