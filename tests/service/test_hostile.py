"""Hostile requests: each gets its specific 4xx, and nothing is ever stored.

They go to the local origin (service and Lambda, routed as by the ALB) on a table of their
own, which must still be empty after every one of them. The README's list of refusals
("Bad input changes nothing") is rendered from ``REFUSALS`` here, so each refusal it documents
is one of these requests, with the answer the API gave it: print ``refusals_table()`` to
regenerate it.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest

from devkit.asgi import serving
from docsite.pages import API, GUARANTEES
from picus.contract import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_PAYLOAD_DEPTH, MAX_URL_BYTES
from picus.errors import ErrorCode
from service.cursor import encode_cursor
from tests.backends import REGION

if TYPE_CHECKING:
    from service.settings import Settings

KEY = "2f897e49-a179-4160-8056-d96c51aab199"
JSON = {"content-type": "application/json"}


@dataclass(frozen=True)
class Hostile:
    method: str
    path: str
    status: int
    code: str | None = None  # None: refused by the HTTP server before the app
    body: bytes | None = None
    headers: dict[str, str] | None = None
    raw: bytes | None = None  # sent as-is on a socket
    shown: str | None = None  # how the README shows it, when not method, path and body

    def example(self) -> str:
        if self.shown is not None:
            return self.shown
        request = f"{self.method} {self.path}"
        extra = {k: v for k, v in (self.headers or {}).items() if (k, v) not in JSON.items()}
        if self.method == "POST" and self.path == "/picus/put" and not extra:
            return (self.body or b"").decode()
        names = {k: "-".join(part.capitalize() for part in k.split("-")) for k in extra}
        return " ".join([request, *(f"{names[k]}: {v}" for k, v in extra.items())])

    @classmethod
    def put(
        cls,
        body: bytes,
        code: ErrorCode,
        headers: dict[str, str] = JSON,
        shown: str | None = None,
    ) -> Hostile:
        return cls("POST", "/picus/put", int(code.status), code.code, body, headers, shown=shown)

    @classmethod
    def get(
        cls,
        path: str,
        code: ErrorCode,
        headers: dict[str, str] | None = None,
        shown: str | None = None,
    ) -> Hostile:
        return cls("GET", path, int(code.status), code.code, headers=headers, shown=shown)


def deep(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def raw_put(head: str, body: bytes) -> bytes:
    return f"POST /picus/put HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n".encode() + body


E = ErrorCode
CASES: dict[str, Hostile] = {
    "invalid json": Hostile.put(b"{bad", E.INVALID_JSON),
    "trailing garbage": Hostile.put(b'{"a": 1} x', E.INVALID_JSON),
    "truncated json": Hostile.put(b'{"a": [1, 2', E.INVALID_JSON),
    "json array": Hostile.put(b"[1, 2]", E.NOT_AN_OBJECT),
    "json string": Hostile.put(b'"text"', E.NOT_AN_OBJECT),
    "json number": Hostile.put(b"42", E.NOT_AN_OBJECT),
    "json null": Hostile.put(b"null", E.NOT_AN_OBJECT),
    "empty body": Hostile.put(b"", E.INVALID_JSON),
    "whitespace body": Hostile.put(b"  \n ", E.INVALID_JSON),
    "text/plain": Hostile.put(
        b'{"a": 1}', E.UNSUPPORTED_MEDIA_TYPE, {"content-type": "text/plain"}
    ),
    "no content type": Hostile.put(b'{"a": 1}', E.UNSUPPORTED_MEDIA_TYPE, {}),
    "form encoded": Hostile.put(
        b"a=1", E.UNSUPPORTED_MEDIA_TYPE, {"content-type": "application/x-www-form-urlencoded"}
    ),
    "utf-16 charset": Hostile.put(
        '{"a": 1}'.encode("utf-16"),
        E.UNSUPPORTED_MEDIA_TYPE,
        {"content-type": "application/json; charset=utf-16"},
    ),
    "utf-16 body": Hostile.put('{"a": 1}'.encode("utf-16"), E.INVALID_JSON),
    "invalid utf-8": Hostile.put(
        b'{"s": "\xc3\x28"}', E.INVALID_JSON, shown='{"s": "<bytes C3 28>"}'
    ),
    "key twice": Hostile.put(b'{"a": 1, "a": 2}', E.INVALID_JSON),
    "key twice, nested": Hostile.put(b'{"x": [{"k": {"b": 1, "b": 1}}]}', E.INVALID_JSON),
    "gzip body": Hostile.put(
        gzip.compress(b'{"a": 1}'),
        E.UNSUPPORTED_MEDIA_TYPE,
        {**JSON, "content-encoding": "gzip"},
        shown="POST /picus/put Content-Encoding: gzip, a gzip body",
    ),
    "labelled gzip, not gzip": Hostile.put(
        b'{"a": 1}', E.UNSUPPORTED_MEDIA_TYPE, {**JSON, "content-encoding": "gzip"}
    ),
    "identity then br": Hostile.put(
        b'{"a": 1}', E.UNSUPPORTED_MEDIA_TYPE, {**JSON, "content-encoding": "identity, br"}
    ),
    "lone surrogate": Hostile.put(b'{"s": "\\udc00"}', E.INVALID_VALUE),
    "lone surrogate in a key": Hostile.put(b'{"\\ud800": 1}', E.INVALID_VALUE),
    "NaN": Hostile.put(b'{"n": NaN}', E.INVALID_VALUE),
    "Infinity": Hostile.put(b'{"n": Infinity}', E.INVALID_VALUE),
    "-Infinity": Hostile.put(b'{"n": -Infinity}', E.INVALID_VALUE),
    "number too large": Hostile.put(b'{"n": 1e126}', E.INVALID_VALUE),
    "number too small": Hostile.put(b'{"n": 1e-131}', E.INVALID_VALUE),
    "39 digits": Hostile.put(b'{"n": 123456789012345678901234567890123456789}', E.INVALID_VALUE),
    "huge exponent": Hostile.put(b'{"n": 1e999999999999}', E.INVALID_VALUE),
    "empty object key": Hostile.put(b'{"": 1}', E.INVALID_VALUE),
    "one level too deep": Hostile.put(
        deep(MAX_PAYLOAD_DEPTH + 1),
        E.INVALID_VALUE,
        shown=f'{MAX_PAYLOAD_DEPTH + 1} levels of {{"a": ...}}',
    ),
    "nested 100000 deep": Hostile.put(b"[" * 100_000 + b"]" * 100_000, E.INVALID_VALUE),
    "body over the limit": Hostile.put(
        b'{"s": "' + b"x" * MAX_BODY_BYTES + b'"}',
        E.PAYLOAD_TOO_LARGE,
        shown=f'{{"s": "xxx..."}}, {MAX_BODY_BYTES + 9:,} bytes',
    ),
    "item over 400 KB": Hostile.put(
        json.dumps({"l": [1] * 150_000}).encode(),
        E.PAYLOAD_TOO_LARGE,
        shown='{"l": [1, 1, ...]}, 150,000 numbers (3 bytes each in DynamoDB, 2 in JSON)',
    ),
    "lying content-length": Hostile(
        "POST",
        "/picus/put",
        413,
        E.PAYLOAD_TOO_LARGE.code,
        raw=raw_put("Content-Type: application/json\r\nContent-Length: 999999999", b"{}"),
    ),
    "content-length shorter than the body": Hostile(
        "POST",
        "/picus/put",
        400,
        raw=raw_put("Content-Type: application/json\r\nContent-Length: 4", b'{"a": 1}'),
    ),
    "content-length not a number": Hostile(
        "POST",
        "/picus/put",
        400,
        raw=raw_put("Content-Type: application/json\r\nContent-Length: x", b"{}"),
    ),
    "content-length with chunked": Hostile(
        "POST",
        "/picus/put",
        400,
        raw=raw_put(
            "Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked",
            b"0\r\n\r\n",
        ),
    ),
    "key not a uuid": Hostile.get("/picus/get/nope", E.INVALID_KEY),
    "key in capitals": Hostile.get(f"/picus/get/{KEY.upper()}", E.INVALID_KEY),
    "key with a slash": Hostile.get(f"/picus/get/{KEY}/x", E.INVALID_KEY),
    # An escape is a second spelling of a path: no route (picus/targets.py).
    "key with an encoded slash": Hostile.get(f"/picus/get/a%2F{KEY}", E.NO_ROUTE),
    "key of dots": Hostile.get("/picus/get/%2E%2E", E.NO_ROUTE),
    "key with NUL": Hostile.get(f"/picus/get/{KEY}%00", E.NO_ROUTE),
    "unicode key": Hostile.get("/picus/get/%C3%A9t%C3%A9", E.NO_ROUTE),
    "huge key": Hostile.get("/picus/get/" + "k" * 4000, E.INVALID_KEY),
    "delete a key not a uuid": Hostile("DELETE", "/picus/nope", 400, E.INVALID_KEY.code),
    "delete an encoded slash": Hostile("DELETE", f"/picus/%2F{KEY}", 404, E.NO_ROUTE.code),
    "delete a key with NUL": Hostile("DELETE", f"/picus/{KEY}%00", 404, E.NO_ROUTE.code),
    "delete a traversal": Hostile("DELETE", "/picus/..%2F..%2Fetc", 404, E.NO_ROUTE.code),
    "delete the put route": Hostile("DELETE", "/picus/put", 405, E.METHOD_NOT_ALLOWED.code),
    "item key not a uuid": Hostile.get("/picus/nope", E.INVALID_KEY),
    "item path with escapes": Hostile.get(f"/picus/%32{KEY[1:]}", E.NO_ROUTE),
    "no such path": Hostile.get("/picus/get", E.INVALID_KEY),
    "replace without If-Match": Hostile(
        "PUT", f"/picus/{KEY}", 428, E.PRECONDITION_REQUIRED.code, b"{}", JSON
    ),
    "replace a missing item": Hostile(
        "PUT", f"/picus/{KEY}", 412, E.PRECONDITION_FAILED.code, b"{}", {**JSON, "if-match": '"x"'}
    ),
    "replace with a weak If-Match": Hostile(
        "PUT",
        f"/picus/{KEY}",
        412,
        E.PRECONDITION_FAILED.code,
        b"{}",
        {**JSON, "if-match": 'W/"x"'},
    ),
    "If-Match not an entity-tag": Hostile(
        "PUT", f"/picus/{KEY}", 400, E.INVALID_PRECONDITION.code, b"{}", {**JSON, "if-match": "x"}
    ),
    "If-None-Match not an entity-tag": Hostile.get(
        f"/picus/{KEY}", E.INVALID_PRECONDITION, {"if-none-match": "x y"}
    ),
    "delete with a stale If-Match": Hostile(
        "DELETE", f"/picus/{KEY}", 412, E.PRECONDITION_FAILED.code, headers={"if-match": '"x"'}
    ),
    "Idempotency-Key empty": Hostile.put(
        b"{}", E.INVALID_IDEMPOTENCY_KEY, {**JSON, "idempotency-key": '""'}
    ),
    "Idempotency-Key with a space": Hostile.put(
        b"{}", E.INVALID_IDEMPOTENCY_KEY, {**JSON, "idempotency-key": "a b"}
    ),
    "Idempotency-Key too long": Hostile.put(
        b"{}", E.INVALID_IDEMPOTENCY_KEY, {**JSON, "idempotency-key": "k" * 256}
    ),
    "limit zero": Hostile.get("/picus/list?limit=0", E.INVALID_LIMIT),
    "limit too big": Hostile.get("/picus/list?limit=1001", E.INVALID_LIMIT),
    "limit negative": Hostile.get("/picus/list?limit=-5", E.INVALID_LIMIT),
    "limit not a number": Hostile.get("/picus/list?limit=abc", E.INVALID_LIMIT),
    "limit a float": Hostile.get("/picus/list?limit=1.0", E.INVALID_LIMIT),
    "cursor garbage": Hostile.get("/picus/list?cursor=%27%3B--", E.INVALID_CURSOR),
    "cursor truncated": Hostile.get(
        f"/picus/list?cursor={encode_cursor(KEY)[:-3]}", E.INVALID_CURSOR
    ),
    "cursor forged": Hostile.get(
        f"/picus/list?cursor={encode_cursor('../../x')}", E.INVALID_CURSOR
    ),
    "cursor huge": Hostile.get("/picus/list?cursor=" + "A" * 2000, E.INVALID_CURSOR),
    "PUT on put": Hostile("PUT", "/picus/put", 405, E.METHOD_NOT_ALLOWED.code, b"{}", JSON),
    "GET on put": Hostile.get("/picus/put", E.METHOD_NOT_ALLOWED),
    "PATCH on get": Hostile("PATCH", f"/picus/get/{KEY}", 405, E.METHOD_NOT_ALLOWED.code),
    "POST on list": Hostile("POST", "/picus/list", 405, E.METHOD_NOT_ALLOWED.code, b"{}", JSON),
    "URL over the limit": Hostile.get(
        "/picus/list?x=" + "a" * MAX_URL_BYTES,
        E.URI_TOO_LONG,
        shown=f"GET /picus/list?x=aaa..., {MAX_URL_BYTES + 16:,} bytes",
    ),
    "headers over the limit": Hostile.get(
        "/health",
        E.HEADERS_TOO_LARGE,
        {"x-big": "a" * MAX_HEADER_BYTES},
        shown=f"GET /health X-Big: aaa..., {MAX_HEADER_BYTES:,} bytes",
    ),
    "thousands of headers": Hostile.get(
        "/health", E.HEADERS_TOO_LARGE, {f"x-h-{i}": "v" for i in range(2000)}
    ),
}


@pytest.fixture(scope="module")
def origin(settings: Settings, ddb_endpoint: str) -> Iterator[tuple[str, Any, str]]:
    import uuid

    from delete_fn.handler import handler
    from local.embedded import ensure_table
    from local.router import LocalAlb
    from service.app import create_app

    table = f"picus_hostile_{uuid.uuid4().hex[:8]}"
    ensure_table(table, region=REGION, endpoint_url=ddb_endpoint)
    client = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb_endpoint)
    with serving(LocalAlb(create_app(replace(settings, table_name=table)), handler)) as url:
        yield url, client, table


def send_raw(url: str, data: bytes) -> int:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def test_every_refusal_a_client_can_provoke_has_a_hostile_request() -> None:
    # Each 4xx code of the API's error tree is reached by at least one case (the server's own
    # refusals, code None, come on top); a code nobody provokes is untested behaviour.
    provoked = {case.code for case in CASES.values()}
    client_errors = {c.code for c in ErrorCode if 400 <= c.status < 500}
    # What only a state can provoke: an item, a token, a key already used (each has tests of
    # its own: test_routes.py, test_auth.py, test_idempotency.py).
    not_hostile = {
        ErrorCode.NOT_FOUND.code,
        ErrorCode.INSUFFICIENT_SCOPE.code,
        ErrorCode.IDEMPOTENCY_KEY_REUSED.code,
        ErrorCode.IDEMPOTENCY_KEY_IN_USE.code,
        # What only time provokes: a slow client (test_deadlines.py, over raw sockets).
        ErrorCode.REQUEST_TIMEOUT.code,
    }
    assert client_errors - not_hostile <= provoked, client_errors - not_hostile - provoked


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_hostile_request_gets_its_4xx_and_stores_nothing(
    http: httpx.Client, origin: tuple[str, Any, str], case: Hostile
) -> None:
    url, client, table = origin
    if case.raw is not None:
        status = send_raw(url, case.raw)
        assert status == case.status
    else:
        response = http.request(
            case.method, f"{url}{case.path}", content=case.body, headers=case.headers
        )
        assert response.status_code == case.status, response.text[:300]
        if case.code is not None:
            error = response.json()["error"]
            assert error["code"] == case.code
            assert error["message"]
    assert client.scan(TableName=table, Select="COUNT")["Count"] == 0, "something was stored"


#: The README's list of what the API refuses: what a client got wrong, and the request here
#: that shows it.
REFUSALS: tuple[tuple[str, str], ...] = (
    ("malformed JSON, or trailing garbage", "invalid json"),
    ("a body that is not UTF-8", "invalid utf-8"),
    ("a key twice in one object, at any depth (RFC 7493, 2.3)", "key twice, nested"),
    ("a body that is not one JSON object", "json array"),
    ("a number with more than 38 significant digits", "39 digits"),
    ("a number outside DynamoDB's range, 1E-130 .. 9.9...E+125", "huge exponent"),
    ("`NaN`, `Infinity`, `-Infinity`", "NaN"),
    (
        "nesting deeper than 31 levels (DynamoDB's 32, the item's own map the first)",
        "one level too deep",
    ),
    ("a string or key holding a lone surrogate", "lone surrogate"),
    ("an empty object key", "empty object key"),
    ("a body not labelled `application/json` (or `+json`)", "text/plain"),
    ("a charset other than UTF-8", "utf-16 charset"),
    ("a `Content-Encoding` other than `identity` (a compressed body)", "gzip body"),
    ("a body over 400 KiB", "body over the limit"),
    ("an item over DynamoDB's 400 KB", "item over 400 KB"),
    ("a URL over 8 KiB", "URL over the limit"),
    ("headers over 16 KiB", "headers over the limit"),
    ("a key that can never exist", "key not a uuid"),
    ("a path that names no operation, or a second spelling of one", "item path with escapes"),
    ("an `Idempotency-Key` that is not 1 to 255 visible characters", "Idempotency-Key empty"),
    ("a replace without `If-Match`", "replace without If-Match"),
    ("an `If-Match` or `If-None-Match` that is not entity-tags", "If-Match not an entity-tag"),
    ("an `If-Match` that no longer holds, or a weak one", "replace a missing item"),
    ("a bad `limit`", "limit zero"),
    ("a `cursor` the API did not issue", "cursor forged"),
    ("a method the path does not answer", "PUT on put"),
)
REFUSALS_START, REFUSALS_END = "<!-- refusals:start -->", "<!-- refusals:end -->"


def refusals_table() -> str:
    """The README's table of refusals, from ``REFUSALS`` and the requests in ``CASES``."""
    lines = ["| what is refused | for example | answer |", "|---|---|---|"]
    for what, name in REFUSALS:
        case = CASES[name]
        example = case.example().replace("|", "\\|")
        lines.append(f"| {what} | `{example}` | {case.status} `{case.code}` |")
    return "\n".join(lines) + "\n"


def test_the_readme_lists_each_refusal_with_the_answer_sent_here() -> None:
    # Each row is a case that test_a_hostile_request_gets_its_4xx_and_stores_nothing sends.
    readme = GUARANTEES.read_text()
    section = readme.split(REFUSALS_START, 1)[1].split(REFUSALS_END, 1)[0]
    assert section == "\n" + refusals_table(), refusals_table()


def test_the_api_tables_put_row_names_each_code_a_bad_put_gets() -> None:
    # The API page's table (rendered from the OpenAPI document), row `POST /picus/put`: it
    # names every code the hostile puts above provoke, and the codes only a key used before
    # can provoke (tests/service/test_idempotency.py); the rest are what any operation may
    # answer (405, 414, 431, 500, 503).
    api = API.read_text()
    row = next(line for line in api.splitlines() if line.startswith("| `POST /picus/put` |"))
    errors = row.strip("|").split("|")[3]
    named = {c.code for c in ErrorCode if f"`{c.code}`" in errors}
    provoked = {
        case.code
        for case in CASES.values()
        if (case.method, case.path) == ("POST", "/picus/put") and case.code is not None
    }
    reused = {ErrorCode.IDEMPOTENCY_KEY_REUSED.code, ErrorCode.IDEMPOTENCY_KEY_IN_USE.code}
    assert provoked | reused <= named, (provoked | reused) - named
