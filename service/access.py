"""Who may call each endpoint: declared on the endpoint, checked on the route Starlette matched.

As with Starlette's own ``requires``, the check runs after routing, inside the endpoint that
serves the request, never on a second reading of the path. The load balancer has verified the
token's signature and claims on the same route (its rule names the same path, and only a
canonical path reaches an endpoint: picus/targets.py); this re-checks the scope, whose matching
AWS does not document (picus/auth.py). ``create_app`` refuses a route that declares nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from picus.auth import Scope, authorization, bearer_claims, has_scope, subject
from picus.errors import InsufficientScope

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import BaseRoute

Endpoint = Callable[["Request"], Awaitable["Response"]]


@dataclass(frozen=True)
class Access:
    #: The scope a token needs; None: anyone may call, with or without a token.
    scope: Scope | None


PUBLIC: Final = Access(None)
#: The function attribute that carries an endpoint's declaration.
_ATTRIBUTE: Final = "picus_access"


def requires(scope: Scope) -> Callable[[Endpoint], Endpoint]:
    """With auth on, the endpoint answers only a token holding ``scope`` (403 otherwise)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            policy = request.app.state.scope_policy
            if policy is not None:
                claims = bearer_claims(authorization(request.headers.getlist("authorization")))
                if not has_scope(claims, policy, scope):
                    needed = policy.names[scope]
                    raise InsufficientScope(f"this operation needs the {needed} scope")
                # Only now: the edge verifies a token on the rules of routes that check a
                # scope, and this one passed. A token refused here may never have been
                # verified (another rule forwarded it), so its subject is nobody's word.
                request.state.subject = subject(claims)
            return await endpoint(request)

        setattr(guarded, _ATTRIBUTE, Access(scope))
        return guarded

    return decorate


def public(endpoint: Endpoint) -> Endpoint:
    """Anyone may call the endpoint; a token, if sent, is neither read nor logged."""
    setattr(endpoint, _ATTRIBUTE, PUBLIC)
    return endpoint


def access_of(endpoint: object) -> Access | None:
    """What an endpoint declared; None if it declared nothing."""
    declared = getattr(endpoint, _ATTRIBUTE, None)
    return declared if isinstance(declared, Access) else None


def undeclared(routes: Iterable[BaseRoute]) -> list[str]:
    """The paths of routes whose endpoint declares no access."""
    return [
        getattr(route, "path", repr(route))
        for route in routes
        if access_of(getattr(route, "endpoint", None)) is None
    ]
