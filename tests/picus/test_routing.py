from __future__ import annotations

import pytest

from picus.auth import Scope
from picus.routing import (
    PREFLIGHT,
    RULES,
    RoutingRule,
    Target,
    allowed_methods,
    operation_at,
    rule_for,
    serving_rules,
)

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


@pytest.mark.parametrize(
    ("method", "path", "target"),
    [
        ("DELETE", f"/picus/{KEY}", Target.DELETE_FN),
        ("DELETE", "/picus/anything/at/all", Target.DELETE_FN),
        ("DELETE", "/picus/", Target.DELETE_FN),
        ("DELETE", "/picus/%2F..%2F", Target.DELETE_FN),
        ("delete", "/picus/x", Target.SERVICE),
        ("GET", f"/picus/get/{KEY}", Target.SERVICE),
        ("POST", "/picus/put", Target.SERVICE),
        ("GET", "/health", Target.SERVICE),
        ("HEAD", "/docs", Target.SERVICE),
        ("GET", "/docs/assets/init.js", Target.SERVICE),
        ("GET", "/openapi.json", Target.SERVICE),
        # Matched as sent: the escape hides the prefix from every rule.
        ("GET", "/%70icus/list", None),
        ("DELETE", "/picus", None),
        ("DELETE", "/PICUS/x", None),
        ("GET", "/", None),
        # An open path takes GET and HEAD alone; anything else there gets the listener's 404,
        # under the prefix too, where the data rules' patterns fit it.
        ("DELETE", "/health", None),
        ("POST", "/openapi.json", None),
        ("DELETE", "/picus/health", None),
        ("PUT", "/picus/health", None),
        ("HEAD", "/picus/health", Target.SERVICE),
    ],
)
def test_requests_go_where_the_alb_sends_them(
    method: str, path: str, target: Target | None
) -> None:
    rule = rule_for(method, path)
    assert (rule.target if rule is not None else None) is target


def test_alb_wildcards() -> None:
    rule = RoutingRule(
        priority=1, methods=("GET",), path_pattern="/a?c/*.json", target=Target.SERVICE
    )
    assert rule.matches("GET", "/abc/x/y.json")
    assert rule.matches("GET", "/a.c/.json")
    assert not rule.matches("GET", "/ac/x.json")
    assert not rule.matches("GET", "/abc/x.jsonl")
    assert not rule.matches("POST", "/abc/x.json")


def test_rules_fit_alb_limits() -> None:
    priorities = [rule.priority for rule in RULES]
    assert len(set(priorities)) == len(priorities)
    for rule in RULES:
        assert 1 <= rule.priority <= 50_000
        assert len(rule.path_pattern) <= 128
        assert all(m.isupper() for m in rule.methods)
        # ALB: at most five condition values per rule, the path included.
        assert len(rule.methods) + 1 <= 5


@pytest.mark.parametrize(
    ("method", "path", "scope", "authenticated"),
    [
        ("POST", "/picus/put", Scope.WRITE, True),
        ("GET", f"/picus/get/{KEY}", Scope.READ, True),
        ("HEAD", f"/picus/get/{KEY}", Scope.READ, True),
        ("GET", "/picus/list", Scope.READ, True),
        ("DELETE", f"/picus/{KEY}", Scope.DELETE, True),
        ("GET", "/picus/health", None, False),
        ("GET", f"/picus/{KEY}", Scope.READ, True),
        ("HEAD", f"/picus/{KEY}", Scope.READ, True),
        ("PUT", f"/picus/{KEY}", Scope.WRITE, True),
        # No operation's, still closed: "/picus/put" fits the item URL's pattern at the edge
        # and takes its scope; the service answers 405.
        ("PUT", "/picus/put", Scope.WRITE, True),
        ("POST", "/picus/anything", None, True),
        ("PATCH", f"/picus/{KEY}", None, True),
        # Without CORS origins, a preflight is one more call that needs a token.
        ("OPTIONS", f"/picus/{KEY}", None, True),
    ],
)
def test_each_operation_needs_its_scope(
    method: str, path: str, scope: Scope | None, authenticated: bool
) -> None:
    rule = rule_for(method, path)
    assert rule is not None
    assert (rule.scope, rule.authenticated) == (scope, authenticated)


@pytest.mark.parametrize(
    "path", ["/health", "/picus/health", "/docs", "/openapi.json", "/docs/assets/init.js"]
)
def test_each_open_path_is_named_by_a_rule_of_its_own(path: str) -> None:
    rule = rule_for("GET", path)
    assert rule is not None and not rule.authenticated
    assert "*" not in rule.path_pattern or rule.path_pattern.startswith("/docs/assets/")


def test_nothing_else_is_open() -> None:
    # Every open rule's path answers reading only, and none under the data prefix but health.
    for rule in RULES:
        if not rule.authenticated and rule.target is not Target.NO_ROUTE:
            assert rule.allowed == ("GET", "HEAD"), rule
            assert not rule.path_pattern.startswith("/picus/") or rule.path_pattern.endswith(
                "/health"
            )


def test_a_stack_with_cors_origins_lets_the_preflight_alone_through_without_a_token() -> None:
    # OPTIONS is no operation's method: the preflight's rule opens no operation.
    operations = {r.operation for r in RULES if r.operation}
    assert all("OPTIONS" not in allowed_methods(op) for op in operations)
    assert PREFLIGHT not in RULES
    assert serving_rules(cors=False) == tuple(sorted(RULES, key=lambda r: r.priority))
    opened = set(serving_rules(cors=True)) - set(RULES)
    assert opened == {PREFLIGHT} and not PREFLIGHT.authenticated
    for method in ("GET", "PUT", "POST", "DELETE", "PATCH"):
        assert rule_for(method, f"/picus/{KEY}", cors=True) == rule_for(method, f"/picus/{KEY}")
    assert rule_for("OPTIONS", f"/picus/{KEY}", cors=True) is PREFLIGHT


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        # A concrete path before a template: "put" is no key (OpenAPI 3.1, path matching).
        ("/picus/put", "/picus/put"),
        ("/picus/list", "/picus/list"),
        ("/picus/health", "/picus/health"),
        (f"/picus/{KEY}", "/picus/{key}"),
        ("/picus/not-a-key", "/picus/{key}"),
        (f"/picus/get/{KEY}", "/picus/get/{key}"),
        # A parameter is one whole segment.
        (f"/picus/get/{KEY}/x", None),
        (f"/picus/{KEY}/x", None),
        ("/picus/get", "/picus/{key}"),
        ("/docs/assets/init.js", "/docs/assets/{name}"),
        ("/docs/assets", None),
        ("/", None),
    ],
)
def test_the_operation_a_path_is_an_instance_of(path: str, operation: str | None) -> None:
    assert operation_at(path) == operation


def test_each_operation_allows_what_its_rules_forward() -> None:
    assert allowed_methods("/picus/put") == ("POST",)
    assert allowed_methods("/picus/get/{key}") == ("GET", "HEAD")
    assert allowed_methods("/picus/{key}") == ("DELETE", "GET", "HEAD", "PUT")
    assert allowed_methods("/health") == ("GET", "HEAD")
    for rule in RULES:
        if rule.operation is not None and rule.methods:
            assert set(rule.methods) <= set(allowed_methods(rule.operation)), rule
