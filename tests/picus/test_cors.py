"""The CORS policy both runtimes apply: which origins a stack may name, and what a browser is
told for each request."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from picus import contract
from picus.cors import (
    ALLOW_HEADERS,
    ALLOW_METHODS,
    ALLOW_ORIGIN,
    CORS_ORIGINS_ENV,
    EXPOSE_HEADERS,
    MAX_AGE,
    MAX_AGE_SECONDS,
    CorsPolicy,
    cors_environment,
    origin_problem,
    read_environment,
)
from picus.routing import allowed_methods

APP = "https://app.example.com"
LOCAL = "http://127.0.0.1:5173"
POLICY = CorsPolicy(frozenset({APP, LOCAL}))
ITEM = contract.item_url("0b8e2a52-6d5f-4d0e-9a5e-2f1e3c4d5a6b")


@pytest.mark.parametrize(
    "origin", [APP, LOCAL, "https://a.example:8443", "http://[::1]:8000", "https://localhost"]
)
def test_an_origin_as_a_browser_sends_it_is_accepted(origin: str) -> None:
    assert origin_problem(origin) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("*", "wildcard"),
        ("https://*.example.com", "wildcard"),
        ("https://app.example.com/", "no path"),
        ("https://app.example.com/app", "no path"),
        ("https://App.example.com", "lowercase"),
        ("HTTPS://app.example.com", "lowercase"),
        ("app.example.com", "not an origin"),
        ("ftp://app.example.com", "scheme must be"),
        ("https://app.example.com:443", "default port"),
        ("http://app.example.com:80", "default port"),
        ("https://app.example.com:0", "not a port"),
        ("https://app.example.com:65536", "not a port"),
        ("https://app.example.com:08443", "not a port"),
        ("https://user@app.example.com", "not an origin"),
        ("null", "not an origin"),
    ],
)
def test_anything_but_an_exact_origin_is_refused_saying_why(text: str, why: str) -> None:
    problem = origin_problem(text)
    assert problem is not None and why in problem, problem


def test_a_stack_may_require_https() -> None:
    problem = origin_problem(LOCAL, schemes=("https",))
    assert problem is not None and "must be https" in problem


def test_the_setting_is_comma_separated_and_empty_means_no_origin() -> None:
    assert CorsPolicy.parse(f" {APP} , {LOCAL},") == POLICY
    assert CorsPolicy.parse("") is None
    assert CorsPolicy.from_environment({}) is None
    assert CorsPolicy.from_environment(cors_environment(POLICY.origins)) == POLICY


def test_a_bad_setting_names_the_variable_and_every_bad_entry() -> None:
    env = {CORS_ORIGINS_ENV: f"{APP},*,https://b.example/"}
    with pytest.raises(ValueError, match=CORS_ORIGINS_ENV) as raised:
        CorsPolicy.from_environment(env)
    assert "'*'" in str(raised.value) and "'https://b.example/'" in str(raised.value)
    # The function cannot raise at import: it keeps the reason and allows no origin.
    assert read_environment(env) == (None, str(raised.value))


def test_the_stack_hands_the_origins_over_as_the_runtimes_read_them() -> None:
    assert cors_environment([]) == {}
    env = cors_environment([LOCAL, APP, APP])
    assert CorsPolicy.from_environment(env) == POLICY


def test_an_allowed_origin_reads_the_answer_and_its_headers() -> None:
    headers = POLICY.response_headers(APP)
    assert headers[ALLOW_ORIGIN] == APP
    exposed = {h.strip() for h in headers[EXPOSE_HEADERS].split(",")}
    # What a page needs of the API's answers: the version, a put's URL and whether it was a
    # replay, how long to wait, and the request id.
    assert exposed == {"etag", "idempotent-replayed", "location", "retry-after", "x-request-id"}
    assert headers["vary"] == "origin"


def test_another_origin_or_none_gets_only_vary() -> None:
    assert POLICY.response_headers("https://evil.example") == {"vary": "origin"}
    assert POLICY.response_headers(None) == {"vary": "origin"}


def test_a_preflight_allows_the_methods_the_path_answers_and_the_headers_the_api_reads() -> None:
    headers = POLICY.preflight("OPTIONS", ITEM, APP, "DELETE")
    assert headers is not None
    assert headers[ALLOW_ORIGIN] == APP
    methods = {m.strip() for m in headers[ALLOW_METHODS].split(",")}
    assert methods == set(allowed_methods(contract.ITEM_PATH)) >= {"GET", "PUT", "DELETE"}
    allowed = {h.strip() for h in headers[ALLOW_HEADERS].split(",")}
    assert allowed == {
        "authorization",
        "content-type",
        "if-match",
        "if-none-match",
        "idempotency-key",
        "x-request-id",
    }
    assert headers[MAX_AGE] == str(MAX_AGE_SECONDS)
    put = POLICY.preflight("OPTIONS", contract.PUT_PATH, APP, "POST")
    assert put is not None and put[ALLOW_METHODS] == "POST"


@pytest.mark.parametrize(
    ("method", "path", "origin", "request_method"),
    [
        ("OPTIONS", ITEM, "https://evil.example", "DELETE"),  # another origin
        ("OPTIONS", ITEM, None, "DELETE"),  # no origin
        ("OPTIONS", ITEM, APP, None),  # a plain OPTIONS, not a preflight
        ("GET", ITEM, APP, "DELETE"),  # not OPTIONS
        ("OPTIONS", "/picus/nothing/here", APP, "GET"),  # no such path
        ("OPTIONS", "/picus/%2e%2e/list", APP, "GET"),  # a second spelling names nothing
    ],
)
def test_no_preflight_answer_but_for_an_allowed_origin_at_a_path_the_api_serves(
    method: str, path: str, origin: str | None, request_method: str | None
) -> None:
    assert POLICY.preflight(method, path, origin, request_method) is None


_NEAR = st.sampled_from(sorted(POLICY.origins)).flatmap(
    lambda o: st.sampled_from([o, o + "/", o.upper(), o + ".", " " + o, o[:-1], "null", "*"])
)


@given(st.one_of(_NEAR, st.text(), st.none()))
def test_allow_origin_is_sent_exactly_to_the_configured_origins_and_never_star(
    origin: str | None,
) -> None:
    for headers in (
        POLICY.response_headers(origin),
        POLICY.preflight("OPTIONS", ITEM, origin, "PUT") or {},
    ):
        assert (ALLOW_ORIGIN in headers) == (origin in POLICY.origins)
        assert headers.get(ALLOW_ORIGIN) in (None, origin)
        assert headers.get(ALLOW_ORIGIN) != "*"
