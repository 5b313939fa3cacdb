"""The local origin with auth on, as ``dev.py serve --auth`` runs it, in this process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

from devkit.asgi import serving
from picus.auth import ScopePolicy

if TYPE_CHECKING:
    from local.auth import LocalIssuer
    from service.settings import Settings


@contextmanager
def auth_origin(settings: Settings, issuer: LocalIssuer, *, edge: bool = True) -> Iterator[str]:
    """The service and the function checking scopes; ``edge``: the router verifying tokens
    as the load balancer does (off: a load balancer that let every token through)."""
    import delete_fn.handler
    from local.auth import TokenVerifier
    from local.router import LocalAlb
    from service.app import create_app

    policy = ScopePolicy()
    saved = delete_fn.handler.SCOPES
    delete_fn.handler.SCOPES = policy
    app = LocalAlb(
        create_app(replace(settings, auth_scopes=policy.to_env(), auth_issuer=issuer.issuer)),
        delete_fn.handler.handler,
        verifier=TokenVerifier(issuer.issuer, issuer.jwks, policy) if edge else None,
        jwks=issuer.jwks,
        issuer=issuer.issuer,
    )
    try:
        with serving(app) as url:
            yield url
    finally:
        delete_fn.handler.SCOPES = saved
