"""Every route declares who may call it, the declaration agrees with the load balancer's rule
for the same path, and the check runs on the route Starlette matched."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from starlette.responses import Response
from starlette.routing import Route

from picus.auth import ScopePolicy
from picus.errors import ErrorCode
from picus.routing import rule_for
from service.access import PUBLIC, access_of, undeclared
from service.routes import routes
from service.settings import Settings
from tests.http import assert_error

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


def _example(path: str) -> str:
    return path.replace("{key:path}", KEY).replace("{name}", "swagger-ui.css")


def test_every_route_declares_its_access() -> None:
    assert undeclared(routes) == []


def test_a_route_without_a_declaration_is_refused_at_start(settings: Settings) -> None:
    from service import app as app_module

    async def forgotten(request: object) -> Response:
        return Response("secret")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_module, "routes", [*routes, Route("/forgotten", forgotten)])
        with pytest.raises(RuntimeError, match="/forgotten"):
            app_module.create_app(settings)


@pytest.mark.parametrize("route", routes, ids=lambda r: r.path)
def test_the_service_and_the_edge_agree_on_who_may_call(route: Route) -> None:
    declared = access_of(route.endpoint)
    assert declared is not None
    for method in route.methods or ():
        rule = rule_for(method, _example(route.path))
        # The edge names every path the service serves, with the same scope.
        assert rule is not None, f"{method} {route.path}: no listener rule names it"
        if declared is PUBLIC:
            assert not rule.authenticated, f"{method} {route.path}: open here, closed there"
        else:
            assert rule.authenticated and rule.scope is declared.scope, f"{method} {route.path}"


def test_the_check_follows_the_matched_route(http: httpx.Client, settings: Settings) -> None:
    from devkit.asgi import serving
    from service.app import create_app

    policy = ScopePolicy()
    with serving(create_app(replace(settings, auth_scopes=policy.to_env()))) as url:
        # No token: the data routes refuse, whichever spelling reached them.
        for path in ("/picus/list", "/%70icus/list", f"/picus/get/{KEY}"):
            response = http.get(f"{url}{path}")
            assert response.status_code in (403, 404), path
        assert_error(http.get(f"{url}/picus/list"), ErrorCode.INSUFFICIENT_SCOPE)
        # The open routes answer anyone.
        assert http.get(f"{url}/health").status_code == 200
        assert http.get(f"{url}/openapi.json").status_code == 200
