"""Auth on the local origin: the load balancer's jwt-validation outcomes for every route, a key
rotation picked up without a restart, and the scope checked again by the service and the
function."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from components.jwt_validation import ALGORITHM, MAX_JWKS_BYTES, MAX_JWKS_KEYS, Claim, ClaimFormat
from devkit import ROOT
from devkit.processes import local_origin, without_aws
from local.auth import LocalIssuer, TokenVerifier
from local.token_check import JWKS_PATH, Unauthorized
from picus import alb
from picus.auth import DEFAULT_SCOPE_NAMES, Scope, ScopePolicy
from service.settings import Settings
from tests.auth_origin import auth_origin
from tests.python import loads_module

ISSUER = "https://issuer.test"
KEY = "2f897e49-a179-4160-8056-d96c51aab199"
READ, WRITE, DELETE = (DEFAULT_SCOPE_NAMES[s] for s in (Scope.READ, Scope.WRITE, Scope.DELETE))
SINGLE, ARRAY = ClaimFormat.SINGLE_STRING, ClaimFormat.STRING_ARRAY
#: (method, path, body, the scope the route needs).
ROUTES = [
    ("POST", "/picus/put", b'{"a": 1}', WRITE),
    ("GET", f"/picus/get/{KEY}", b"", READ),
    ("GET", "/picus/list", b"", READ),
    ("DELETE", f"/picus/{KEY}", b"", DELETE),
]


@pytest.fixture(scope="module")
def issuer() -> LocalIssuer:
    made = LocalIssuer(ISSUER)
    made.rotate(path=None)
    return made


@pytest.fixture(scope="module")
def origin(settings: Settings, issuer: LocalIssuer) -> Iterator[str]:
    with auth_origin(settings, issuer) as url:
        yield url


def call(url: str, method: str, path: str, body: bytes, token: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return httpx.request(method, f"{url}{path}", content=body or None, headers=headers)


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.content == alb.error_page(401)
    assert response.headers["server"] == alb.SERVER


def _tokens(issuer: LocalIssuer, needed: str) -> dict[str, str | None]:
    # The issuer's kid, another key: what a forger without the private key can sign.
    forged = LocalIssuer(
        ISSUER,
        [RSAKey.generate_key(2048, parameters={"kid": str(issuer.keys[-1].kid)}, private=True)],
    )
    others = [s for s in (READ, WRITE, DELETE) if s != needed]
    return {
        "no token": None,
        "malformed": "not.a-token",
        "bad signature": forged.mint([needed]),
        "another issuer": LocalIssuer("https://other.test", issuer.keys).mint([needed]),
        "expired": issuer.mint([needed], lifetime_s=-10),
        "not yet valid": issuer.mint([needed], claims={"nbf": int(time.time()) + 600}),
        "missing scope": issuer.mint(others),
    }


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES)
def test_every_refusal_is_the_load_balancers_401(
    origin: str, issuer: LocalIssuer, method: str, path: str, body: bytes, needed: str
) -> None:
    for case, token in _tokens(issuer, needed).items():
        response = call(origin, method, path, body, token)
        assert response.status_code == 401, case
        assert_401(response)


@pytest.mark.parametrize(("method", "path", "body", "needed"), ROUTES)
def test_the_right_scope_passes(
    origin: str, issuer: LocalIssuer, method: str, path: str, body: bytes, needed: str
) -> None:
    # Among other scopes too: the claim holds the route's scope.
    response = call(origin, method, path, body, issuer.mint([needed, "profile"]))
    assert response.status_code in (200, 201, 404), response.text
    assert response.status_code != 401


@pytest.mark.parametrize("path", ["/health", "/picus/health", "/docs", "/openapi.json"])
def test_health_and_docs_stay_open(origin: str, path: str) -> None:
    assert httpx.get(f"{origin}{path}").status_code == 200


def test_a_token_is_needed_anywhere_else_under_the_prefix(origin: str) -> None:
    assert_401(httpx.get(f"{origin}/picus/anything"))
    assert_401(httpx.put(f"{origin}/picus/put"))


def test_the_jwks_is_published_and_a_rotated_key_is_accepted_without_a_restart(
    origin: str, issuer: LocalIssuer
) -> None:
    before = httpx.get(f"{origin}{JWKS_PATH}").json()
    assert [k["kid"] for k in before["keys"]] == [k.kid for k in issuer.keys]
    assert all("d" not in key for key in before["keys"]), "never the private part"
    old = issuer.mint([READ])
    issuer.rotate(path=None)
    new = issuer.mint([READ])
    published = httpx.get(f"{origin}{JWKS_PATH}").json()["keys"]
    assert published[-1]["kid"] == issuer.keys[-1].kid
    assert call(origin, "GET", "/picus/list", b"", new).status_code == 200
    assert call(origin, "GET", "/picus/list", b"", old).status_code == 200


def test_the_service_and_the_function_check_the_scope_themselves(
    settings: Settings, issuer: LocalIssuer
) -> None:
    # Behind a load balancer that matched the scope claim more loosely than picus/auth.py.
    with auth_origin(settings, issuer, edge=False) as url:
        token = issuer.mint([READ])
        for method, path, body, needed in ROUTES:
            response = call(url, method, path, body, token)
            if needed == READ:
                assert response.status_code != 403
                continue
            assert response.status_code == 403, (method, path)
            assert response.json()["error"]["code"] == "insufficient_scope"


def test_the_caller_is_logged_never_the_token(
    origin: str, issuer: LocalIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.mint([WRITE], subject="alice@example.com")
    with caplog.at_level("INFO", logger="picus.access"):
        assert call(origin, "POST", "/picus/put", b'{"x": 1}', token).status_code == 201
        deadline = time.monotonic() + 5
        while not (records := [r for r in caplog.records if r.name == "picus.access"]):
            assert time.monotonic() < deadline
            time.sleep(0.01)
    assert records[-1].subject == "alice@example.com"  # type: ignore[attr-defined]
    assert token not in caplog.text


def test_serve_with_auth_and_the_token_command(tmp_path: Path) -> None:
    env = without_aws(dict(os.environ), tmp_path)

    def token(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "local.token", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    with local_origin(tmp_path, "--auth") as served:
        base = served.url
        assert_401(httpx.post(f"{base}/picus/put", json={"a": 1}))
        bearer = {"authorization": f"Bearer {token('--scope', f'{WRITE},{READ}')}"}
        created = httpx.post(f"{base}/picus/put", json={"a": 1}, headers=bearer)
        assert created.status_code == 201
        rotated = {"authorization": f"Bearer {token('--rotate', '--scope', READ)}"}
        key = created.json()["object_id"]
        assert httpx.get(f"{base}/picus/get/{key}", headers=rotated).status_code == 200
    assert served.process.returncode == 0


def test_scope_policies_travel_as_text() -> None:
    policy = ScopePolicy({Scope.READ: "r", Scope.WRITE: "w", Scope.DELETE: "d"}, "scp")
    assert ScopePolicy.from_env(policy.to_env(), "scp") == policy
    for bad in ("read=r,write=w", "read=r,write=w,delete=d e", "read=r,write=w,delete=d,x=y"):
        with pytest.raises(ValueError):
            ScopePolicy.from_env(bad)


def _passes(verifier: TokenVerifier, token: str, scope: Scope | None = None) -> bool:
    try:
        verifier.verify("Bearer " + token, scope)
    except Unauthorized:
        return False
    return True


def test_an_extra_claim_passes_only_in_the_json_type_its_format_names(
    issuer: LocalIssuer,
) -> None:
    # As the load balancer: a single-string aud refuses an array aud and the reverse, so a
    # stack names the claims its issuer writes as arrays (authArrayClaims).
    single = TokenVerifier(ISSUER, issuer.jwks, claims=[Claim("aud", SINGLE, ("api",))])
    array = TokenVerifier(ISSUER, issuer.jwks, claims=[Claim("aud", ARRAY, ("api",))])
    for aud, by_single, by_array in [
        ("api", True, False),
        (["api"], False, True),
        (["other", "api"], False, True),
        ("api other", False, False),
        ("myapi", False, False),
        (["myapi"], False, False),
        (None, False, False),
    ]:
        token = issuer.mint([READ], claims={"aud": aud})
        assert _passes(single, token) is by_single, aud
        assert _passes(array, token) is by_array, aud


def test_the_scope_claim_is_matched_in_its_format(issuer: LocalIssuer) -> None:
    words = TokenVerifier(ISSUER, issuer.jwks)
    array = TokenVerifier(ISSUER, issuer.jwks, scope_format=ARRAY)
    as_words = issuer.mint([READ, "profile"])
    as_array = issuer.mint([], claims={"scope": ["profile", READ]})
    assert _passes(words, as_words, Scope.READ) and not _passes(words, as_array, Scope.READ)
    assert _passes(array, as_array, Scope.READ) and not _passes(array, as_words, Scope.READ)
    assert not _passes(words, as_words, Scope.WRITE)


def test_a_jwks_past_the_load_balancers_limits_lets_nothing_through(issuer: LocalIssuer) -> None:
    full = LocalIssuer(ISSUER)
    for _ in range(MAX_JWKS_KEYS):
        full.rotate(path=None)
    assert _passes(TokenVerifier(ISSUER, full.jwks), full.mint([READ]), Scope.READ)
    one_more = {"keys": [*full.jwks()["keys"], issuer.jwks()["keys"][0]]}
    too_many = TokenVerifier(ISSUER, lambda: one_more)
    assert not _passes(too_many, full.mint([READ]), Scope.READ)
    padded = {"keys": full.jwks()["keys"], "padding": "x" * MAX_JWKS_BYTES}
    too_big = TokenVerifier(ISSUER, lambda: padded)
    assert not _passes(too_big, full.mint([READ]), Scope.READ)


def test_only_rs256_is_accepted() -> None:
    # A key that names no algorithm, so only the verifier's own list decides.
    key = RSAKey.generate_key(2048, parameters={"kid": "any-alg"}, private=True)
    jwks = {"keys": [key.as_dict(private=False)]}
    verifier = TokenVerifier(ISSUER, lambda: jwks)
    body = {"iss": ISSUER, "exp": int(time.time()) + 60, "scope": READ}
    assert ALGORITHM == "RS256"
    signed = {
        alg: jwt.encode({"alg": alg, "kid": "any-alg"}, body, key, algorithms=[alg])
        for alg in ("RS256", "RS384", "RS512", "PS256")
    }
    assert [alg for alg, token in signed.items() if _passes(verifier, token, Scope.READ)] == [
        "RS256"
    ]


def test_a_plain_serve_never_loads_the_jwt_library() -> None:
    # Without --auth the local origin starts without joserfc (about 170 ms of imports).
    assert not loads_module("local.__main__, local.router", "joserfc")
