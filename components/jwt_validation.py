"""What the load balancer's ``jwt-validation`` action accepts, from AWS's documentation of it, and
the problems of a stack's auth settings against it.

Pure and stdlib only: the Pulumi program (``listener_rules.py``) builds the action from
``EdgeAuth``, the settings check (``cluster_settings.py``) refuses at preview what AWS would
refuse or
what would refuse valid tokens, and the laptop's verifier (``local/auth.py``) matches claims and
bounds the key set with the same constants, so the laptop and a stack accept the same tokens.

The documents, cited by name below:

- [Verify] "Verify JWTs using an Application Load Balancer",
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-verify-jwt.html
- [Config] ELBv2 API reference, "JwtValidationActionConfig",
  https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_JwtValidationActionConfig.html
- [Claim] ELBv2 API reference, "JwtValidationActionAdditionalClaim",
  https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_JwtValidationActionAdditionalClaim.html
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

# ALGORITHM: the only signing algorithm it verifies ([Verify]: "Only the RS256 algorithm is
# supported"); defined in the contract, which the laptop's origin reads without this module.
from picus.auth import ALGORITHM as ALGORITHM
from picus.auth import Scope, ScopePolicy

#: The largest JWKS document it reads ([Verify], "JWT validation limits": 150 KB). AWS does not
#: say whether a KB is 1000 or 1024 bytes: the smaller reading is the one that always holds.
MAX_JWKS_BYTES: Final = 150 * 1000
#: The most keys a JWKS document may hold ([Verify], "JWT validation limits": 10 keys). Past
#: either limit the load balancer forwards no request at all.
MAX_JWKS_KEYS: Final = 10
#: [Config]: "The maximum length is 256 characters", for the issuer and the JWKS endpoint.
MAX_ISSUER_LENGTH: Final = 256
MAX_JWKS_URL_LENGTH: Final = 256
#: Additional claims per action ([Config]: "The maximum size of the list is 10"; [Verify]: "up
#: to 10 additional claims").
MAX_ADDITIONAL_CLAIMS: Final = 10
#: Values per claim, and characters per value ([Claim]: "The maximum size of the list is 10.
#: Each value can be up to 256 characters in length").
MAX_CLAIM_VALUES: Final = 10
MAX_CLAIM_VALUE_LENGTH: Final = 256
#: Claims it always validates itself and refuses as additional claims ([Claim]: "You can't
#: specify exp, iss, nbf, or iat because we validate them by default").
RESERVED_CLAIMS: Final = frozenset({"exp", "iss", "nbf", "iat"})
#: A Cognito user pool's issuer. Its access tokens carry the app client in ``client_id`` and
#: have no ``aud`` ("Client and audience validation for Amazon Cognito",
#: https://docs.aws.amazon.com/verifiedpermissions/latest/userguide/cognito-validation.html).
_COGNITO_ISSUER: Final = re.compile(r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/.+")


class ClaimFormat(StrEnum):
    """How the token writes a claim ([Claim]: ``Format``; [Verify] describes each).

    The format names the claim's JSON type in the token, so it must be the one the issuer
    writes: a ``string-array`` claim refuses a token whose ``aud`` is a plain string, and a
    ``single-string`` one a token whose ``aud`` is an array (RFC 7519 allows either), as
    https://github.com/aws-solutions-library-samples/guidance-for-claude-code-with-amazon-bedrock/issues/346
    found on a real load balancer.
    """

    #: "A single text value": a JSON string, equal to the configured value.
    SINGLE_STRING = "single-string"
    #: "An array of text values": a JSON array of strings holding the configured value.
    STRING_ARRAY = "string-array"
    #: "Multiple values separated by spaces" (OAuth's ``scope``): a JSON string whose words
    #: hold the configured value; the configured values cannot contain a space ([Claim]).
    SPACE_SEPARATED = "space-separated-values"


@dataclass(frozen=True)
class Claim:
    """One additional claim of the action: a token passes with any of ``values``.

    AWS documents each format's shape but not how several configured values combine, nor
    whether a token's array or word list may hold more than the configured value; this stack
    configures one value per claim, and a token passes when it holds that value (RFC 7519
    §4.1.3: the recipient "identif[ies] itself with a value in the audience claim").
    """

    name: str
    format: ClaimFormat
    values: tuple[str, ...]

    def matches(self, held: object) -> bool:
        """Whether a token's value of this claim passes, as the load balancer matches it."""
        if self.format is ClaimFormat.SINGLE_STRING:
            return isinstance(held, str) and held in self.values
        if self.format is ClaimFormat.STRING_ARRAY:
            return isinstance(held, list) and any(
                isinstance(v, str) and v in self.values for v in held
            )
        return isinstance(held, str) and any(word in self.values for word in held.split(" "))


@dataclass(frozen=True)
class EdgeAuth:
    """A stack's token verification at the load balancer."""

    issuer: str
    jwks_url: str
    policy: ScopePolicy
    #: Further claims each token must carry (``aud``, for instance).
    claims: tuple[Claim, ...] = ()
    #: How the issuer writes the scope claim: OAuth's space-separated string, or an array.
    scope_format: ClaimFormat = ClaimFormat.SPACE_SEPARATED

    def additional_claims(self, scope: Scope | None) -> tuple[Claim, ...]:
        """What one action checks besides ``iss``, ``exp``, ``nbf`` and ``iat``: the stack's
        claims (by name, so a reordered config changes nothing), then the route's scope."""
        ordered = tuple(sorted(self.claims, key=lambda c: c.name))
        if scope is None:
            return ordered
        return (*ordered, Claim(self.policy.claim, self.scope_format, (self.policy.names[scope],)))


def problems(auth: EdgeAuth) -> list[str]:
    """Every way ``auth`` breaks what the load balancer accepts, or would refuse valid tokens,
    each naming the ``picus:`` key to change."""
    found: list[str] = []
    if len(auth.issuer) > MAX_ISSUER_LENGTH:
        found.append(
            f"picus:authIssuer is {len(auth.issuer)} characters; the load balancer takes at "
            f"most {MAX_ISSUER_LENGTH}"
        )
    found += _jwks_url_problems(auth.jwks_url)
    names = [c.name for c in auth.claims]
    reserved = sorted(RESERVED_CLAIMS.intersection(names))
    if reserved:
        found.append(
            f"picus:authClaims: the load balancer checks {', '.join(reserved)} itself and "
            "refuses them as additional claims"
        )
    for name in sorted({n for n in names if names.count(n) > 1}):
        found.append(f"picus:authClaims names {name} more than once")
    if auth.policy.claim in names:
        found.append(
            f"picus:authClaims, picus:authScopeClaim: {auth.policy.claim} is the scope claim, "
            "which each route checks for its own scope; leave it out of authClaims"
        )
    if auth.policy.claim in RESERVED_CLAIMS:
        found.append(f"picus:authScopeClaim {auth.policy.claim} is a claim AWS reserves")
    if len(auth.claims) + 1 > MAX_ADDITIONAL_CLAIMS:
        found.append(
            f"picus:authClaims: {len(auth.claims)} claims and the scope are more than the "
            f"{MAX_ADDITIONAL_CLAIMS} additional claims the load balancer checks per rule"
        )
    for claim in auth.claims:
        found += _value_problems("picus:authClaims", claim)
    for scope in Scope:
        found += _value_problems("picus:authScopes", auth.additional_claims(scope)[-1])
    if _COGNITO_ISSUER.fullmatch(auth.issuer) and "aud" in names:
        found.append(
            "picus:authClaims: a Cognito user pool's access tokens have no aud claim, so "
            "every token would be refused; check the app client as client_id=<id> instead"
        )
    return found


def _jwks_url_problems(url: str) -> list[str]:
    if len(url) > MAX_JWKS_URL_LENGTH:
        return [
            f"picus:authJwksUrl is {len(url)} characters; the load balancer takes at most "
            f"{MAX_JWKS_URL_LENGTH}"
        ]
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    # [Config]: "a full URL, including the HTTPS protocol, the domain, and the path".
    if parts is None or parts.scheme != "https" or not host or parts.path in ("", "/"):
        return [f"picus:authJwksUrl {url!r} must be an https:// URL with a host and a path"]
    # [Verify], console steps: the endpoint "must be publicly accessible".
    try:
        public = ipaddress.ip_address(host).is_global
    except ValueError:
        public = host != "localhost" and not host.endswith((".localhost", ".internal", ".local"))
    if not public:
        return [
            f"picus:authJwksUrl {url!r}: the load balancer fetches the keys over the "
            "internet, and AWS requires a publicly accessible endpoint"
        ]
    return []


def _value_problems(key: str, claim: Claim) -> list[str]:
    found: list[str] = []
    if not claim.values or len(claim.values) > MAX_CLAIM_VALUES:
        found.append(f"{key}: {claim.name} needs 1..{MAX_CLAIM_VALUES} values")
    for value in claim.values:
        if not value or len(value) > MAX_CLAIM_VALUE_LENGTH:
            found.append(
                f"{key}: the value of {claim.name} must be 1..{MAX_CLAIM_VALUE_LENGTH} "
                f"characters, not {len(value)}"
            )
        if claim.format is ClaimFormat.SPACE_SEPARATED and " " in value:
            found.append(f"{key}: {value!r} of {claim.name} is one word, without spaces")
    return found
