"""schemathesis against the API's own OpenAPI document, every operation, DELETE included
through the local origin: no 5xx, and every response conforms to the document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from picus.auth import Scope, ScopePolicy
from picus.contract import DELETE_PATH, GET_PATH, KEY_PATTERN
from picus.routing import rule_for
from service.openapi import BEARER_SCHEME, OIDC_SCHEME, StackAuth, document

#: The document of a public stack, which the tests' local origin is.
OPENAPI = document()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}  # type: ignore[union-attr]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_served_document_is_the_one_tested(http: httpx.Client, api_url: str) -> None:
    assert http.get(f"{api_url}/openapi.json").json() == OPENAPI
    # put, get, list, delete and the two health paths
    assert len(OPERATIONS) == 6


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_keeps_the_contract(api_url: str, label: str) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(base_url=api_url, checks=CHECKS, timeout=30)

    check()


def test_the_load_balancers_own_answers_are_documented_as_html() -> None:
    from picus import alb

    paths = OPENAPI["paths"]
    delete = paths["/picus/{key}"]["delete"]["responses"]
    for status in ("413", "502"):
        assert list(delete[status]["content"]) == [alb.CONTENT_TYPE]
    for path, method in (
        ("/picus/put", "post"),
        ("/picus/get/{key}", "get"),
        ("/picus/list", "get"),
        ("/picus/{key}", "delete"),
    ):
        responses = paths[path][method]["responses"]
        # A public stack: no token to refuse, only the firewall's page.
        assert "401" not in responses
        assert list(responses["403"]["content"]) == [alb.CONTENT_TYPE]
    assert set(alb.PHRASES) == {401, 403, 413, 502}
    with_auth = document(StackAuth("https://login.example.com/", ScopePolicy()))["paths"]
    for path, method in (("/picus/put", "post"), ("/picus/{key}", "delete")):
        responses = with_auth[path][method]["responses"]
        assert list(responses["401"]["content"]) == [alb.CONTENT_TYPE]
        # The firewall's page, or the API's insufficient_scope error.
        assert set(responses["403"]["content"]) == {alb.CONTENT_TYPE, "application/json"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _example(path: str) -> str:
    # A path of the template, as a client would send it.
    return path.replace("{key}", "2f897e49-a179-4160-8056-d96c51aab199")


def test_a_public_stack_documents_no_security_at_all() -> None:
    assert "securitySchemes" not in OPENAPI["components"]
    assert "security" not in OPENAPI
    for path, method, op in _operations(OPENAPI):
        assert op["security"] == [], f"{method} {path}"


def test_with_auth_every_data_operation_requires_its_scope_and_nothing_else_is_optional() -> None:
    # Cognito-style scope names: the document names the stack's own.
    policy = ScopePolicy.from_env("read=picus/read,write=picus/write,delete=picus/delete")
    spec = document(StackAuth("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc", policy))
    schemes = spec["components"]["securitySchemes"]
    assert schemes[OIDC_SCHEME] == {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
        "/.well-known/openid-configuration",
        "description": schemes[OIDC_SCHEME]["description"],
    }
    assert schemes[BEARER_SCHEME]["scheme"] == "bearer"
    for path, method, op in _operations(spec):
        # The edge's rule for this operation says which scope, if any, a token needs.
        rule = rule_for(method.upper(), _example(path))
        assert rule is not None, f"{method} {path} is named by no rule"
        if not rule.authenticated:
            assert op["security"] == [], f"{method} {path} is open"
            continue
        assert rule.scope is not None
        needed = policy.names[rule.scope]
        # Alternatives, each requiring the scope: never the empty "{}" that means anonymous.
        assert op["security"] == [{OIDC_SCHEME: [needed]}, {BEARER_SCHEME: [needed]}]


def test_a_stack_with_auth_serves_its_own_document(http: httpx.Client, settings: Any) -> None:
    from dataclasses import replace

    from devkit.asgi import serving
    from service.app import create_app

    policy = ScopePolicy()
    app = create_app(
        replace(settings, auth_scopes=policy.to_env(), auth_issuer="https://login.example.com/")
    )
    with serving(app) as url:
        served = http.get(f"{url}/openapi.json").json()
    assert served == document(StackAuth("https://login.example.com/", policy))
    put = served["paths"]["/picus/put"]["post"]["security"]
    assert put == [{OIDC_SCHEME: ["picus:write"]}, {BEARER_SCHEME: ["picus:write"]}]
    assert Scope.WRITE in policy.names
    assert served["paths"][GET_PATH]["get"]["parameters"][0]["schema"]["pattern"] == KEY_PATTERN
    assert DELETE_PATH in served["paths"]
