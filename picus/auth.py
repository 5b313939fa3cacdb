"""Who may call: the scope each operation needs, and the one check both runtimes make of a
token the load balancer has already verified.

The load balancer checks the signature, ``iss``, ``exp``, ``nbf`` and ``iat``, and the route's
scope as a ``space-separated-values`` claim. AWS does not document whether such a claim matches
when the token holds the required value among others (an OAuth ``scope`` usually does), so the
service and the function also check membership here, with the same rule the local origin
applies: the token's scope claim, split on spaces (or a JSON array), contains the route's scope.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from picus.errors import BadRequest

BEARER: Final = "bearer "
DEFAULT_SCOPE_CLAIM: Final = "scope"
#: How a stack hands its policy to both runtimes: their environment.
SCOPES_ENV: Final = "PICUS_AUTH_SCOPES"
SCOPE_CLAIM_ENV: Final = "PICUS_AUTH_SCOPE_CLAIM"
#: The issuer whose tokens the edge verifies: the service names it in its API document.
ISSUER_ENV: Final = "PICUS_AUTH_ISSUER"
#: The one signing algorithm the load balancer's verifier accepts (components/jwt_validation.py
#: cites the document), and so the local issuer signs with and its discovery document names.
ALGORITHM: Final = "RS256"
#: Where an OpenID Connect issuer publishes its metadata, below its URL (Discovery 1.0, 4).
OIDC_DISCOVERY_PATH: Final = "/.well-known/openid-configuration"


class Scope(Enum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"


DEFAULT_SCOPE_NAMES: Final[Mapping[Scope, str]] = {
    Scope.READ: "picus:read",
    Scope.WRITE: "picus:write",
    Scope.DELETE: "picus:delete",
}


@dataclass(frozen=True)
class ScopePolicy:
    """The scope values a stack's tokens carry for each operation, and the claim holding them."""

    names: Mapping[Scope, str] = field(default_factory=lambda: dict(DEFAULT_SCOPE_NAMES))
    claim: str = DEFAULT_SCOPE_CLAIM

    def to_env(self) -> str:
        """``read=picus:read,write=...``: how the stack hands the policy to both runtimes."""
        return ",".join(f"{scope.value}={self.names[scope]}" for scope in Scope)

    def to_environment(self) -> dict[str, str]:
        return {SCOPES_ENV: self.to_env(), SCOPE_CLAIM_ENV: self.claim}

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ScopePolicy | None:
        """The policy a runtime was given; None where the stack is public."""
        if not env.get(SCOPES_ENV):
            return None
        return cls.from_env(env[SCOPES_ENV], env.get(SCOPE_CLAIM_ENV) or DEFAULT_SCOPE_CLAIM)

    @classmethod
    def from_env(cls, text: str, claim: str = DEFAULT_SCOPE_CLAIM) -> ScopePolicy:
        names: dict[Scope, str] = {}
        for pair in text.split(","):
            kind, _, value = pair.partition("=")
            try:
                scope = Scope(kind.strip())
            except ValueError:
                raise ValueError(f"unknown operation {kind!r} in {text!r}") from None
            if not value.strip() or " " in value.strip():
                raise ValueError(f"a scope value is one word: {pair!r}")
            names[scope] = value.strip()
        if set(names) != set(Scope):
            raise ValueError(f"every operation needs a scope: {text!r}")
        return cls(names, claim)


def b64url_decode(part: str) -> bytes:
    """A JWT segment: base64url without its padding."""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def bearer_claims(authorization: str | None) -> dict[str, Any] | None:
    """The claims of a bearer token, read without verifying it: only for a request the load
    balancer has verified. None when there is no readable token."""
    if not authorization or authorization[: len(BEARER)].lower() != BEARER:
        return None
    parts = authorization[len(BEARER) :].strip().split(".")
    if len(parts) != 3:
        return None
    try:
        payload = b64url_decode(parts[1])
        claims = json.loads(payload)
    # A payload nested deeper than the parser's stack is no token either.
    except (binascii.Error, ValueError, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def granted(claims: Mapping[str, Any], claim: str) -> frozenset[str]:
    """The scope values a token holds: a space-separated string or an array of strings."""
    value = claims.get(claim)
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def has_scope(claims: Mapping[str, Any] | None, policy: ScopePolicy, scope: Scope) -> bool:
    return claims is not None and policy.names[scope] in granted(claims, policy.claim)


def subject(claims: Mapping[str, Any] | None) -> str | None:
    """Who called (``sub``), for the access log; never the token itself."""
    value = (claims or {}).get("sub")
    # Bounded and escaped where it is logged (picus/access_log.py).
    return value if isinstance(value, str) else None


class AmbiguousAuthorization(BadRequest):
    """More than one Authorization header: which one the edge verified is not documented."""


def authorization(values: list[str]) -> str | None:
    """The request's one Authorization header, from all it carried; refuses two or more, so the
    runtimes never read a token other than the one the load balancer verified."""
    if len(values) > 1:
        raise AmbiguousAuthorization("a request carries at most one Authorization header")
    return values[0] if values else None
