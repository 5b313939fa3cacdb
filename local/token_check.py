"""What the local origin needs of token verification, without the JWT library behind it:
the path it publishes the issuer's keys at, the refusal, and the verifier's one method.
Importing this costs nothing, so ``serve`` without ``--auth`` never loads joserfc."""

from __future__ import annotations

from typing import Any, Final, Protocol

from picus.auth import Scope

JWKS_PATH: Final = "/.well-known/jwks.json"


class Unauthorized(Exception):
    """The load balancer would answer 401; the reason is for the log, never the client."""


class TokenCheck(Protocol):
    def verify(self, authorization: str | None, scope: Scope | None) -> dict[str, Any]: ...
