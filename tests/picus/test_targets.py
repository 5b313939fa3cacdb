"""Who may call, for every spelling of every path: a request without a token, or with a token
that lacks the route's scope, never gets a 2xx from a data operation, whether the load balancer
checks the token (the local origin with auth) or lets everything through (the runtimes behind a
too-lenient edge); and the access line says what was asked and what served it.

The targets are generated from the routing table's data routes (hypothesis): characters
percent-encoded in either case, letters in the other case, doubled and dot segments, encoded
slashes, a trailing slash, ``;`` parameters, ``?`` and ``#`` anywhere, non-ASCII text. Every
target that ever got through is kept in request_targets.txt and replayed first.

A longer run: ``PICUS_TARGET_EXAMPLES=2000 python3 dev.py test tests/picus/test_targets.py``;
a failure prints the seed that reproduces it (``--hypothesis-seed``).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.asgi import serving
from devkit.processes import wait_until
from picus.access_log import MAX_PATH, printable
from picus.alb import NO_ROUTE_BODY, NO_ROUTE_STATUS
from picus.auth import DEFAULT_SCOPE_NAMES, Scope, ScopePolicy
from picus.errors import ErrorCode
from picus.routing import RULES, RoutingRule, rule_for
from picus.targets import is_canonical
from service.settings import Settings
from tests.auth_origin import auth_origin
from tests.raw_http import RawResponse, send

EXAMPLES = int(os.environ.get("PICUS_TARGET_EXAMPLES", "40"))
CORPUS = Path(__file__).with_name("request_targets.txt")
#: The data routes: every rule that needs a scope, with each of its methods.
DATA_ROUTES: list[tuple[str, RoutingRule]] = [
    (method, rule) for rule in RULES if rule.scope is not None for method in rule.methods
]
BODY = b'{"spelling": 1}'


def _path(rule: RoutingRule, key: str) -> str:
    return rule.path_pattern.replace("*", key)


# --- canonical form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/health", "/picus/list", "/picus/get/2f897e49-a179-4160-8056-d96c51aab199", "/a~b"]
)
def test_the_api_s_own_paths_are_canonical(path: str) -> None:
    assert is_canonical(path)


@pytest.mark.parametrize(
    "path",
    ["", "/", "//x", "/x/", "/x//y", "/./x", "/x/..", "/%70", "/x;y", "/x%2Fy", "x", "/é", "/x y"],
)
def test_a_second_spelling_is_not(path: str) -> None:
    assert not is_canonical(path)


@given(st.text(max_size=40))
def test_a_canonical_path_reads_the_same_decoded(path: str) -> None:
    from urllib.parse import unquote

    if is_canonical(path):
        assert unquote(path) == path
        assert "/./" not in path + "/" and "/../" not in path + "/"


# --- generated spellings --------------------------------------------------------------------


def _escape(char: str, upper: bool) -> str:
    text = "".join(f"%{b:02X}" for b in char.encode())
    return text if upper else text.lower()


_NON_ASCII = st.characters(min_codepoint=0x80, max_codepoint=0x2FFF)


@st.composite
def spellings(draw: st.DrawFn, path: str) -> bytes:
    """``path`` in another spelling: 0 to 4 edits, each one of the ways a path can differ."""
    for _ in range(draw(st.integers(0, 4))):
        edit = draw(
            st.sampled_from(
                [
                    "escape",
                    "escape all",
                    "case",
                    "double slash",
                    "dot",
                    "dot dot",
                    "encoded slash",
                    "trailing slash",
                    "parameter",
                    "query",
                    "fragment",
                    "non-ascii",
                ]
            )
        )
        at = draw(st.integers(0, max(len(path) - 1, 0)))
        slashes = [i for i, c in enumerate(path) if c == "/"] or [0]
        slash = draw(st.sampled_from(slashes))
        if edit == "escape" and path[at] not in "%/":
            path = path[:at] + _escape(path[at], draw(st.booleans())) + path[at + 1 :]
        elif edit == "escape all":
            upper = draw(st.booleans())
            path = "".join(c if c in "/%" else _escape(c, upper) for c in path)
        elif edit == "case":
            path = path[:at] + path[at].swapcase() + path[at + 1 :]
        elif edit == "double slash":
            path = path[:slash] + "/" + path[slash:]
        elif edit == "dot":
            path = path[:slash] + "/." + path[slash:]
        elif edit == "dot dot":
            path = path[:slash] + "/x/.." + path[slash:]
        elif edit == "encoded slash":
            path = path[:slash] + draw(st.sampled_from(["%2F", "%2f"])) + path[slash + 1 :]
        elif edit == "trailing slash":
            path += "/"
        elif edit == "parameter":
            end = path.find("/", at)
            end = len(path) if end < 0 else end
            path = path[:end] + ";x" + path[end:]
        elif edit in ("query", "fragment"):
            mark = "?" if edit == "query" else "#"
            path = (
                path[:at]
                + mark
                + draw(st.sampled_from(["", "x", "a=1", "/picus/list"]))
                + path[at:]
            )
        elif edit == "non-ascii":
            text = draw(
                st.text(
                    st.characters(min_codepoint=0x80, max_codepoint=0x2FFF), min_size=1, max_size=2
                )
            )
            raw = draw(st.booleans())
            path = (
                path[:at] + (text if raw else "".join(_escape(c, True) for c in text)) + path[at:]
            )
    return path.encode()


def _served_path(target: bytes) -> str:
    """The path the server sees: the target up to its query or fragment."""
    text = target.decode("latin-1")
    for mark in "?#":
        text = text.partition(mark)[0]
    return text


# --- the two deployments under test ---------------------------------------------------------


class AccessLines(logging.Handler):
    """The access lines of both runtimes, by request id."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, logging.LogRecord] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "request" and hasattr(record, "request_id"):
            self.lines[str(record.request_id)] = record

    def of(self, request_id: str) -> logging.LogRecord:
        """The request's line: the runtime logs it after its answer is sent, on its own thread."""
        wait_until(lambda: request_id in self.lines, f"no access line for {request_id}", 5)
        return self.lines[request_id]


@pytest.fixture(scope="module")
def access_lines() -> Iterator[AccessLines]:
    handler = AccessLines()
    loggers = [logging.getLogger(n) for n in ("picus.access", "picus.delete_fn")]
    saved = [(lg, lg.level) for lg in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def origins(settings: Settings, issuer: Any) -> Iterator[dict[str, str]]:
    """``edge``: the local origin, verifying tokens as the load balancer does. ``lenient``:
    the same runtimes behind a router that lets every token through. ``service``: the service
    alone, every request straight to it."""
    from service.app import create_app

    policy = ScopePolicy()
    service = create_app(replace(settings, auth_scopes=policy.to_env()))
    with (
        auth_origin(settings, issuer) as edge,
        auth_origin(settings, issuer, edge=False) as lenient,
        serving(service) as alone,
    ):
        yield {"edge": edge, "lenient": lenient, "service": alone}


@pytest.fixture(scope="module")
def stored(origins: dict[str, str], issuer: Any) -> Callable[[], str]:
    """A new item's key: a read or a delete that got through would answer 2xx."""
    token = issuer.mint(list(DEFAULT_SCOPE_NAMES.values()))

    def store() -> str:
        response = send(
            origins["edge"],
            "POST",
            b"/picus/put",
            {"content-type": "application/json", "authorization": f"Bearer {token}"},
            BODY,
        )
        assert response.status == 201, response
        return str(json.loads(response.body)["object_id"])

    return store


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


#: What a client can send that is no token at all: each a 4xx, never a 5xx, at every layer.
NOT_TOKENS = {
    "garbage": "not.a-token",
    "header not an object": f"{_b64(b'[]')}.{_b64(b'{}')}.x",
    "payload nested past the parser": f"{_b64(b'{}')}.{_b64(b'[' * 5_000)}.x",
    "payload not an object": f"{_b64(b'{}')}.{_b64(b'42')}.x",
}


def _tokens(issuer: Any, scope: Scope) -> dict[str, str | None]:
    others = [name for s, name in DEFAULT_SCOPE_NAMES.items() if s is not scope]
    return {
        "no token": None,
        "another scope": issuer.mint(others, subject="spelling-test"),
        **NOT_TOKENS,
    }


def _check(
    base: str,
    method: str,
    target: bytes,
    rule: RoutingRule,
    token: str | None,
    lines: AccessLines,
) -> RawResponse:
    request_id = uuid.uuid4().hex
    headers = {"content-type": "application/json", "x-request-id": request_id}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    response = send(base, method, target, headers, BODY if method == "POST" else b"")
    assert not 200 <= response.status < 300, (method, target, response)
    assert response.status < 500, (method, target, response)
    line = lines.lines.get(request_id)
    if line is not None:
        # What was asked, as sent, and what served it: never the decoded path alone.
        assert line.path == printable(_served_path(target), MAX_PATH), line.path  # type: ignore[attr-defined]
        assert line.status == response.status  # type: ignore[attr-defined]
        if token is None:
            assert line.subject is None  # type: ignore[attr-defined]
    return response


def _corpus() -> list[tuple[str, str]]:
    entries = []
    for line in CORPUS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, target = line.split(maxsplit=1)
            entries.append((method, target))
    return entries


def _rule_for_corpus(method: str) -> RoutingRule:
    # The data route the variant was made from: the scope the token lacks.
    return next(r for m, r in DATA_ROUTES if m == method)


@pytest.mark.parametrize(("method", "target"), _corpus())
@pytest.mark.parametrize("where", ["edge", "lenient", "service"])
def test_every_spelling_that_once_got_through_gets_nothing(
    origins: dict[str, str],
    issuer: Any,
    stored: Callable[[], str],
    access_lines: AccessLines,
    where: str,
    method: str,
    target: str,
) -> None:
    rule = _rule_for_corpus(method)
    raw = target.replace("{key}", stored()).encode()
    for token in _tokens(issuer, rule.scope or Scope.READ).values():
        response = _check(origins[where], method, raw, rule, token, access_lines)
        # Never Starlette's redirect, whose Location is built from the client's Host.
        assert "location" not in response.headers


@pytest.mark.parametrize(
    ("method", "rule"), DATA_ROUTES, ids=lambda v: getattr(v, "path_pattern", v)
)
@pytest.mark.parametrize("where", ["edge", "lenient", "service"])
def test_no_spelling_of_a_data_route_serves_without_its_scope(
    origins: dict[str, str],
    issuer: Any,
    stored: Callable[[], str],
    access_lines: AccessLines,
    where: str,
    method: str,
    rule: RoutingRule,
) -> None:
    assert rule.scope is not None
    tokens = list(_tokens(issuer, rule.scope).values())
    key = stored()

    @given(target=spellings(_path(rule, key)), token=st.sampled_from(tokens))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(target: bytes, token: str | None) -> None:
        _check(origins[where], method, target, rule, token, access_lines)

    check()


def test_the_same_spelling_with_the_scope_is_served(
    origins: dict[str, str], issuer: Any, stored: Callable[[], str], access_lines: AccessLines
) -> None:
    # The control: the property above is about the token, not a route that never answers.
    key = stored()
    token = issuer.mint(list(DEFAULT_SCOPE_NAMES.values()), subject="reader")
    request_id = uuid.uuid4().hex
    response = send(
        origins["edge"],
        "GET",
        f"/picus/get/{key}".encode(),
        {"authorization": f"Bearer {token}", "x-request-id": request_id},
    )
    assert response.status == 200
    line = access_lines.of(request_id)
    assert (line.path, line.route, line.subject) == (  # type: ignore[attr-defined]
        f"/picus/get/{key}",
        "/picus/get/{key:path}",
        "reader",
    )


@pytest.mark.parametrize("where", ["edge", "lenient", "service"])
def test_two_authorization_headers_are_refused(
    origins: dict[str, str], issuer: Any, access_lines: AccessLines, where: str
) -> None:
    # A forged token first, a valid one second: the edge verifies one, the runtime would read
    # the other and log its subject. Neither reads either: one header, or a 400.
    claims = json.dumps({"sub": "mallory", "scope": "picus:read"}).encode()
    forged = f"{_b64(b'{}')}.{_b64(claims)}.x"
    valid = issuer.mint(list(DEFAULT_SCOPE_NAMES.values()), subject="alice")
    request_id = uuid.uuid4().hex
    response = send(
        origins[where],
        "GET",
        b"/picus/list",
        [
            ("authorization", f"Bearer {forged}"),
            ("authorization", f"Bearer {valid}"),
            ("x-request-id", request_id),
        ],
    )
    assert response.status == 400, response
    line = access_lines.lines.get(request_id)
    assert line is None or line.subject is None  # type: ignore[attr-defined]


# --- open paths, for every method they do not serve ------------------------------------------

OPEN_CORPUS = Path(__file__).with_name("open_path_requests.txt")
#: The open rules, each with the path it serves.
OPEN_PATHS: list[str] = [
    _path(rule, "init.js") for rule in RULES if not rule.authenticated and rule.operation
]
#: Every method the HTTP parser of the runtimes reads (llhttp's), but CONNECT, whose target is
#: no path; GET and HEAD are what an open path serves.
OTHER_METHODS = [
    *("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "PROPPATCH", "MKCOL"),
    *("COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "PURGE", "REPORT", "MKCALENDAR", "LINK"),
]
#: Where a rule forwards a request that needs a token: the service's data routes.
DATA_PATHS = {rule.operation for rule in RULES if rule.authenticated and rule.operation}


def _unsigned(claims: dict[str, Any]) -> str:
    # ``alg: none``, no signature: what no edge verifies, and what a runtime must not believe.
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _any_tokens(issuer: Any) -> dict[str, str | None]:
    every = " ".join(DEFAULT_SCOPE_NAMES.values())
    return {
        "no token": None,
        "unsigned, every scope": _unsigned({"sub": "admin@corp", "scope": every}),
        "valid, every scope": issuer.mint(list(DEFAULT_SCOPE_NAMES.values()), subject="admin"),
        **NOT_TOKENS,
    }


def _check_open(
    base: str, where: str, method: str, path: str, token: str | None, lines: AccessLines
) -> None:
    request_id = uuid.uuid4().hex
    headers = {"content-type": "application/json", "x-request-id": request_id}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    response = send(base, method, path.encode(), headers, BODY)
    # The answer to any unknown route: the listener's own 404 at the edge, the service's
    # 404 when it is called directly.
    assert response.status == NO_ROUTE_STATUS, (where, method, path, response)
    if where != "service":
        assert response.body == NO_ROUTE_BODY, (where, method, path, response)
    else:
        assert json.loads(response.body)["error"]["code"] == ErrorCode.NO_ROUTE.code
    line = lines.lines.get(request_id)
    if line is not None:
        assert line.route not in DATA_PATHS, (method, path, line.route)  # type: ignore[attr-defined]
        assert line.subject is None, (method, path)  # type: ignore[attr-defined]


@given(
    path=st.sampled_from(OPEN_PATHS),
    method=st.sampled_from(OTHER_METHODS) | st.from_regex(r"[A-Z_-]{1,12}", fullmatch=True),
    cors=st.booleans(),
)
@settings(max_examples=500)
def test_no_open_path_takes_another_method_in_the_routing_table(
    path: str, method: str, cors: bool
) -> None:
    # The listener's 404 (no rule, or one that answers it) for all but GET and HEAD.
    rule = rule_for(method, path, cors)
    if method in ("GET", "HEAD"):
        assert rule is not None and not rule.authenticated and rule.operation is not None
    else:
        assert rule is None, (method, path, rule)


def _open_corpus() -> list[tuple[str, str]]:
    entries = []
    for line in OPEN_CORPUS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            method, target = line.split(maxsplit=1)
            entries.append((method, target))
    return entries


@pytest.mark.parametrize(("method", "path"), _open_corpus())
@pytest.mark.parametrize("where", ["edge", "lenient", "service"])
def test_every_open_path_request_that_once_got_through_gets_nothing(
    origins: dict[str, str],
    issuer: Any,
    access_lines: AccessLines,
    where: str,
    method: str,
    path: str,
) -> None:
    for token in _any_tokens(issuer).values():
        _check_open(origins[where], where, method, path, token, access_lines)


@pytest.mark.parametrize("path", OPEN_PATHS)
@pytest.mark.parametrize("where", ["edge", "lenient", "service"])
def test_an_open_path_serves_no_other_method_with_any_token(
    origins: dict[str, str], issuer: Any, access_lines: AccessLines, where: str, path: str
) -> None:
    tokens = list(_any_tokens(issuer).values())

    @given(method=st.sampled_from(OTHER_METHODS), token=st.sampled_from(tokens))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(method: str, token: str | None) -> None:
        _check_open(origins[where], where, method, path, token, access_lines)

    check()


def test_a_subject_is_logged_only_where_the_scope_check_passed(
    origins: dict[str, str], issuer: Any, access_lines: AccessLines
) -> None:
    # The service called directly, as a rule that verifies no token would forward: a token
    # refused here names nobody in the log, a verified one with the scope does.
    every = " ".join(DEFAULT_SCOPE_NAMES.values())
    for token, subject, status in (
        (_unsigned({"sub": "admin@corp", "scope": "other"}), None, 403),
        (issuer.mint(list(DEFAULT_SCOPE_NAMES.values()), subject="alice"), "alice", 200),
        (_unsigned({"sub": "admin@corp", "scope": every}), "admin@corp", 200),
    ):
        request_id = uuid.uuid4().hex
        headers = {"authorization": f"Bearer {token}", "x-request-id": request_id}
        response = send(origins["service"], "GET", b"/picus/list", headers)
        assert response.status == status, response
        assert access_lines.of(request_id).subject == subject  # type: ignore[attr-defined]
