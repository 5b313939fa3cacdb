"""Large attribute values kept beside the embedded moto, which stores a sized stand-in for each.

moto builds an object per list element and map entry of an item, copies them on every read and
walks them against botocore's shape model on every answer: about 15 us per element per call. A
Scan of one item holding the longest list the API accepts (130,000 numbers) took minutes, so the
service's calls timed out, its retries queued behind the first, and the embedded table answered
nobody else meanwhile. DynamoDB itself stores such an item in milliseconds.

So a list or map attribute of a write (an ``Item``'s, or an ``ExpressionAttributeValues``
value) larger than :data:`INLINE_BYTES` is kept here, as the JSON the client sent, and moto
stores a string in its place: a marker no client can write (it holds a secret drawn at start),
the value's digest, and padding up to the size moto gives the value itself (at most
:data:`MOST_PADDING`), so that the 1 MB page of a Scan counts about what it counted without
this. Every answer that carries such a string (an item read, scanned, returned by an update or
a failed condition) gets the value back in its place, with the ``x-amz-crc32`` botocore checks
recomputed. A value is found by its digest: writing the same value twice keeps it once. What a
replaced or deleted item held stays until the embedded table stops, as moto's own tables do.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import zlib
from collections.abc import Iterable
from io import BytesIO
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: A list or map whose JSON is at most this long is moto's own: it costs moto little.
INLINE_BYTES: Final = 4 * 1024
#: The most a stand-in is padded to: well under moto's item limit, with the item's other
#: attributes beside it.
MOST_PADDING: Final = 256 * 1024
#: Where a write's attribute values sit in the API's calls (PutItem, UpdateItem, and each
#: TransactWriteItems member): the map of attribute names (or placeholders) to values.
_VALUE_MAPS: Final = frozenset({"Item", "ExpressionAttributeValues"})


def moto_size(value: Any) -> int:
    """An attribute value's size as moto counts it (``DynamoType.size``): a string's UTF-8
    bytes, a number's characters, a flag one byte, a list or map the sum of its elements and,
    for a map, its names. A stand-in of this size leaves moto's limits where they were."""
    ((kind, inner),) = value.items()
    if kind == "L":
        return sum(moto_size(v) for v in inner)
    if kind == "M":
        return sum(len(k.encode()) + moto_size(v) for k, v in inner.items())
    if kind in ("NULL", "BOOL"):
        return 1
    if kind == "N":
        return len(inner)
    if kind == "NS":
        return sum(len(v) for v in inner)
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "BS":
        return sum(len(v) * 3 // 4 for v in inner)
    if kind == "B":
        # base64 on the wire, its bytes in moto
        return len(inner) * 3 // 4
    return len(inner.encode())


class LargeValues:
    """WSGI middleware in front of moto: large values in, stand-ins out, and back again."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        # Plain ASCII, so that it reads the same in moto's JSON; unguessable, so that no string
        # a client stores is ever taken for one.
        self._marker = f"picus-value-{secrets.token_hex(16)}:"
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if b'"L"' in body or b'"M"' in body:
            body = self._stand_ins(body)
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return lambda data: None

        answer = self._app(environ, capture)
        try:
            data = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        status, headers = captured
        if self._marker.encode() in data:
            data = self._restored(data)
            headers = [
                (name, value)
                for name, value in headers
                if name.lower() not in ("content-length", "x-amz-crc32")
            ]
            headers += [("Content-Length", str(len(data))), ("x-amz-crc32", str(zlib.crc32(data)))]
        start_response(status, headers)
        return [data]

    def _stand_ins(self, body: bytes) -> bytes:
        try:
            request = json.loads(body)
        except ValueError:
            return body  # moto's to refuse
        return json.dumps(self._replace_writes(request)).encode()

    def _replace_writes(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._replace_writes(v) for v in node]
        if not isinstance(node, dict):
            return node
        return {
            k: (
                {name: self._stand_in(v) for name, v in value.items()}
                if k in _VALUE_MAPS and isinstance(value, dict)
                else self._replace_writes(value)
            )
            for k, value in node.items()
        }

    def _stand_in(self, value: Any) -> Any:
        if not (isinstance(value, dict) and len(value) == 1 and ("L" in value or "M" in value)):
            return value
        text = json.dumps(value, separators=(",", ":"))
        if len(text) <= INLINE_BYTES:
            return value
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._lock:
            self._values.setdefault(digest, value)
        label = f"{self._marker}{digest}:"
        # Padded to the value's own size, so that moto pages a Scan by it as before; but short
        # of moto's item limit (405,000 bytes), stricter than DynamoDB's, which the service
        # checks itself by DynamoDB's rules (service/codec.py): an item the API accepts is
        # one the embedded table stores.
        padding = min(max(moto_size(value) - len(label.encode()), 0), MOST_PADDING)
        return {"S": label + "." * padding}

    def _restored(self, data: bytes) -> bytes:
        answer = json.loads(data)
        return json.dumps(self._restore(answer)).encode()

    def _restore(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._restore(v) for v in node]
        if not isinstance(node, dict):
            return node
        text = node.get("S")
        if len(node) == 1 and isinstance(text, str) and text.startswith(self._marker):
            digest = text[len(self._marker) :].partition(":")[0]
            with self._lock:
                return self._values.get(digest, node)
        return {k: self._restore(v) for k, v in node.items()}
