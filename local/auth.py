"""Tokens on a laptop: a local issuer (its own RSA keys, a JWKS document) and the verification
the load balancer's ``jwt-validation`` action makes, with the same outcomes.

The issuer's keys live in a file of the checkout, so ``python3 dev.py token`` can sign for the
``serve --auth`` that is running; rotating adds a key with a new ``kid`` that the verifier picks
up at its next unknown ``kid``, without a restart, as the load balancer refetches a JWKS.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from components.jwt_validation import (
    ALGORITHM,
    MAX_JWKS_BYTES,
    MAX_JWKS_KEYS,
    Claim,
    ClaimFormat,
)
from local.token_check import Unauthorized
from picus.auth import BEARER, Scope, ScopePolicy, b64url_decode

ROOT = Path(__file__).resolve().parent.parent
#: Where ``serve --auth`` keeps its issuer; ignored by git.
ISSUER_FILE: Final = Path(os.environ.get("PICUS_LOCAL_ISSUER_FILE") or ROOT / ".local-issuer.json")
#: The most keys the load balancer reads from a JWKS document: a rotation drops the oldest.
MAX_KEYS: Final = MAX_JWKS_KEYS


@dataclass
class LocalIssuer:
    issuer: str
    keys: list[RSAKey] = field(default_factory=list)

    @classmethod
    def create(cls, issuer: str, path: Path = ISSUER_FILE) -> LocalIssuer:
        """The issuer at ``path`` if it has this URL, else a new one, saved there."""
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("issuer") == issuer:
                keys = [RSAKey.import_key(k) for k in saved["keys"]]
                return cls(issuer, keys)
        made = cls(issuer)
        made.rotate(path)
        return made

    @classmethod
    def load(cls, path: Path = ISSUER_FILE) -> LocalIssuer:
        if not path.exists():
            raise FileNotFoundError(f"no local issuer at {path}: start `dev.py serve --auth`")
        saved = json.loads(path.read_text())
        return cls(saved["issuer"], [RSAKey.import_key(k) for k in saved["keys"]])

    def rotate(self, path: Path | None = ISSUER_FILE) -> str:
        """Adds a new signing key (the newest signs); the oldest go past the JWKS limit."""
        kid = uuid.uuid4().hex[:16]
        key = RSAKey.generate_key(
            2048, parameters={"kid": kid, "use": "sig", "alg": ALGORITHM}, private=True
        )
        self.keys = [*self.keys, key][-MAX_KEYS:]
        if path is not None:
            path.write_text(
                json.dumps(
                    {"issuer": self.issuer, "keys": [k.as_dict(private=True) for k in self.keys]}
                )
            )
            os.chmod(path, 0o600)
        return kid

    def jwks(self) -> dict[str, Any]:
        keys: list[Any] = list(self.keys)
        return dict(KeySet(keys).as_dict(private=False))

    def mint(
        self,
        scopes: list[str],
        *,
        subject: str = "local-developer",
        lifetime_s: int = 3600,
        claims: Mapping[str, Any] | None = None,
        scope_claim: str = "scope",
    ) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime_s,
            scope_claim: " ".join(scopes),
            **(claims or {}),
        }
        key = self.keys[-1]
        return jwt.encode({"alg": ALGORITHM, "kid": key.kid}, body, key)


@dataclass
class TokenVerifier:
    """The load balancer's ``jwt-validation`` action: an RS256 signature from the issuer's
    JWKS (within its size and key-count limits), ``iss`` and ``exp`` required, ``nbf`` and
    ``iat`` checked when present, each extra claim and the route's scope matched as its
    format says (components/jwt_validation.py, ``Claim.matches``)."""

    issuer: str
    jwks: Callable[[], Mapping[str, Any]]
    policy: ScopePolicy = field(default_factory=ScopePolicy)
    #: Extra claims each token must carry (``aud``, for instance), as the stack configures them.
    claims: Sequence[Claim] = ()
    #: How the issuer writes the scope claim (``authArrayClaims`` naming it makes it an array).
    scope_format: ClaimFormat = ClaimFormat.SPACE_SEPARATED
    _keys: KeySet | None = None

    def _key_set(self, kid: str | None) -> KeySet:
        known = self._keys is not None and any(k.kid == kid for k in self._keys.keys)
        if not known:  # a new kid: fetch the key set again, as after a rotation
            document = dict(self.jwks())
            # Past either limit the load balancer forwards nothing, whatever the token.
            if len(json.dumps(document).encode()) > MAX_JWKS_BYTES:
                raise Unauthorized(f"the JWKS document is over {MAX_JWKS_BYTES} bytes")
            if len(document.get("keys") or ()) > MAX_JWKS_KEYS:
                raise Unauthorized(f"the JWKS has more than {MAX_JWKS_KEYS} keys")
            self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        assert self._keys is not None
        return self._keys

    def verify(self, authorization: str | None, scope: Scope | None) -> dict[str, Any]:
        if not authorization or authorization[: len(BEARER)].lower() != BEARER:
            raise Unauthorized("no bearer token")
        token = authorization[len(BEARER) :].strip()
        try:
            header = json.loads(b64url_decode(token.split(".")[0]))
            if not isinstance(header, dict):
                raise ValueError("the token's header is not an object")
            decoded = jwt.decode(token, self._key_set(header.get("kid")), algorithms=[ALGORITHM])
        # Anything a client can send that is not a token is a 401, never an error of ours.
        except (JoseError, ValueError, IndexError, TypeError, RecursionError) as error:
            raise Unauthorized(f"bad token: {error}") from None
        claims = dict(decoded.claims)
        now = time.time()
        if claims.get("iss") != self.issuer:
            raise Unauthorized("another issuer")
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
            raise Unauthorized("expired or no exp")
        if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now:
            raise Unauthorized("not yet valid")
        if isinstance(claims.get("iat"), int | float) and claims["iat"] > now + 60:
            raise Unauthorized("issued in the future")
        for claim in self.claims:
            if not claim.matches(claims.get(claim.name)):
                raise Unauthorized(f"claim {claim.name}")
        if scope is not None:
            needed = Claim(self.policy.claim, self.scope_format, (self.policy.names[scope],))
            if not needed.matches(claims.get(self.policy.claim)):
                raise Unauthorized(f"no {self.policy.names[scope]} scope")
        return claims
