"""Which target serves a request, and who may call it: the rules the ALB listener applies,
defined once.

The Pulumi program turns :data:`RULES` into listener rules, the local router dispatches with
:func:`rule_for`, and the service's endpoints declare the same scopes (tests check they agree).
Deny by default: every path the API serves is named by a rule of its own, and the listener's
default action answers a fixed 404 (:data:`picus.alb.NO_ROUTE_STATUS`), so a path no rule names,
in whatever spelling, reaches no target at all. An open path is open to GET and HEAD alone;
any other method there gets the same 404, from the edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from picus.auth import Scope
from picus.contract import (
    DOCS_ASSET_PATH,
    DOCS_PATH,
    GET_PATH,
    HEALTH_PATH,
    ITEM_PATH,
    ITEM_PATH_PREFIX,
    LIST_PATH,
    OPENAPI_PATH,
    PATH_PARAMETER,
    PUT_PATH,
    SEED_HEALTH_PATH,
    alb_path_pattern,
)


class Target(Enum):
    SERVICE = "service"
    DELETE_FN = "delete_fn"
    #: No target: the listener answers the fixed 404 of its default action itself.
    NO_ROUTE = "no_route"


@dataclass(frozen=True)
class RoutingRule:
    """One ALB listener rule: all of its conditions must hold for it to match."""

    priority: int
    #: Empty: any method.
    methods: tuple[str, ...]
    path_pattern: str
    target: Target
    #: With auth on, the scope a token needs here; None for "any valid token".
    scope: Scope | None = None
    #: With auth on, whether a token is needed at all.
    authenticated: bool = True
    #: The path template of what this rule serves (``{key}`` for a key, as in the API
    #: document); None for a rule that serves nothing of its own.
    operation: str | None = None

    @property
    def allowed(self) -> tuple[str, ...]:
        """The methods the operation answers here (its ``Allow``)."""
        return self.methods

    @cached_property
    def _path_re(self) -> re.Pattern[str]:
        # ALB path patterns: case-sensitive, '*' is any run of characters, '?' exactly one.
        parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in self.path_pattern)
        return re.compile("".join(parts), re.DOTALL)

    def matches(self, method: str, path: str) -> bool:
        # The ALB matches the method and the path as they arrive, still percent-encoded.
        methods_match = not self.methods or method in self.methods
        return methods_match and self._path_re.fullmatch(path) is not None


_READ_ONLY = ("GET", "HEAD")


def _open(priority: int, path: str) -> RoutingRule:
    # GET and HEAD alone: an open rule that took any method would forward a write, without a
    # token check, to whatever route the service matches for it.
    return RoutingRule(
        priority,
        _READ_ONLY,
        alb_path_pattern(path),
        Target.SERVICE,
        authenticated=False,
        operation=path,
    )


def _closed(priority: int, path: str) -> RoutingRule:
    # Just after an open path's own rule: any other method there gets the listener's 404, as
    # an unknown route does, rather than a later rule's whose pattern the path also fits.
    return RoutingRule(priority, (), alb_path_pattern(path), Target.NO_ROUTE, authenticated=False)


def _operation(
    priority: int, methods: tuple[str, ...], path: str, target: Target, scope: Scope
) -> RoutingRule:
    return RoutingRule(priority, methods, alb_path_pattern(path), target, scope, operation=path)


#: In priority order; each becomes a listener rule on every serving listener. With auth on, each
#: rule that is ``authenticated`` verifies the token (and its scope) before it forwards.
RULES: tuple[RoutingRule, ...] = (
    # The open paths, each named on its own: nothing else is reached without a token.
    _open(10, HEALTH_PATH),
    _open(20, OPENAPI_PATH),
    _open(30, DOCS_PATH),
    _open(40, DOCS_ASSET_PATH),
    _open(90, SEED_HEALTH_PATH),
    # The one open path under the prefix, where the data rules below would take its other
    # methods (tests/picus/test_targets.py holds every open path to this).
    _closed(91, SEED_HEALTH_PATH),
    # Every DELETE under the prefix, for an item or not: the function answers 405 for a path
    # that is another operation's (:func:`operation_at`).
    _operation(100, ("DELETE",), ITEM_PATH, Target.DELETE_FN, Scope.DELETE),
    _operation(110, ("POST",), PUT_PATH, Target.SERVICE, Scope.WRITE),
    _operation(120, _READ_ONLY, GET_PATH, Target.SERVICE, Scope.READ),
    _operation(130, _READ_ONLY, LIST_PATH, Target.SERVICE, Scope.READ),
    # The item's own URL, after the concrete paths above: "/picus/list" is no item's.
    _operation(140, _READ_ONLY, ITEM_PATH, Target.SERVICE, Scope.READ),
    _operation(150, ("PUT",), ITEM_PATH, Target.SERVICE, Scope.WRITE),
    # Anything else under the prefix is no operation (the service answers 404 or 405), but
    # with auth on it still takes a valid token: the data paths are closed to anonymous calls.
    RoutingRule(160, (), ITEM_PATH_PREFIX + "*", Target.SERVICE),
)

#: A browser's CORS preflight never carries a token (Fetch, "CORS-preflight request"), so it
#: cannot pass a rule that verifies one: this one lets it reach the service, which answers it
#: for every path under the prefix and reads and writes nothing. Only a stack that names CORS
#: origins has it; any other keeps every path under the prefix closed to anonymous calls.
PREFLIGHT: RoutingRule = RoutingRule(
    95, ("OPTIONS",), ITEM_PATH_PREFIX + "*", Target.SERVICE, authenticated=False
)


_SERVING: dict[bool, tuple[RoutingRule, ...]] = {
    cors: tuple(sorted((*RULES, PREFLIGHT) if cors else RULES, key=lambda r: r.priority))
    for cors in (False, True)
}


def serving_rules(cors: bool) -> tuple[RoutingRule, ...]:
    """The rules a stack's listener holds, in priority order: :data:`RULES`, and
    :data:`PREFLIGHT` when it names CORS origins."""
    return _SERVING[cors]


def rule_for(method: str, raw_path: str, cors: bool = False) -> RoutingRule | None:
    """The first rule that matches; None for the listener's fixed 404 (its default action, or
    a rule that answers the same)."""
    rule = next((r for r in serving_rules(cors) if r.matches(method, raw_path)), None)
    return None if rule is None or rule.target is Target.NO_ROUTE else rule


def is_open(operation: str) -> bool:
    """Whether anyone may call ``operation`` (its methods: :func:`allowed_methods`)."""
    return any(r.operation == operation and not r.authenticated for r in RULES)


def _template(path: str) -> re.Pattern[str]:
    literals = (re.escape(part) for part in PATH_PARAMETER.split(path))
    return re.compile("[^/]+".join(literals))


_OPERATIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    # Concrete paths first: "/picus/put" is the put operation's, not an item's (OpenAPI 3.1,
    # "Path Templating Matching").
    (path, _template(path))
    for path in sorted({r.operation for r in RULES if r.operation}, key=lambda p: ("{" in p, p))
)


def operation_at(path: str) -> str | None:
    """The path template that ``path`` (canonical, see :mod:`picus.targets`) is an instance
    of; None when it is none of the rules'."""
    return next((op for op, pattern in _OPERATIONS if pattern.fullmatch(path)), None)


def allowed_methods(operation: str, target: Target | None = None) -> tuple[str, ...]:
    """Every method the API answers at ``operation``, for a 405's ``Allow``; with ``target``,
    the ones that target serves."""
    methods = {
        m
        for r in RULES
        if r.operation == operation and target in (None, r.target)
        for m in r.allowed
    }
    return tuple(sorted(methods))


#: Whether the Lambda's target group sends (and expects back) multi-value headers.
LAMBDA_MULTI_VALUE_HEADERS = False
