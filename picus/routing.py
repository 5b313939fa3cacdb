"""Which target serves a request, and who may call it: the rules the ALB listener applies,
defined once.

The Pulumi program turns :data:`RULES` into listener rules, the local router dispatches with
:func:`rule_for`, and the service's endpoints declare the same scopes (tests check they agree).
Deny by default: every path the API serves is named by a rule of its own, and the listener's
default action answers a fixed 404 (:data:`picus.alb.NO_ROUTE_STATUS`), so a path no rule names,
in whatever spelling, reaches no target at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from picus.auth import Scope
from picus.contract import (
    DELETE_PATH,
    DOCS_ASSETS_PATH,
    DOCS_PATH,
    GET_PATH,
    HEALTH_PATH,
    ITEM_PATH_PREFIX,
    LIST_PATH,
    OPENAPI_PATH,
    PUT_PATH,
    SEED_HEALTH_PATH,
    alb_path_pattern,
)


class Target(Enum):
    SERVICE = "service"
    DELETE_FN = "delete_fn"


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

#: In priority order; each becomes a listener rule on every serving listener. With auth on, each
#: rule that is ``authenticated`` verifies the token (and its scope) before it forwards.
RULES: tuple[RoutingRule, ...] = (
    # The open paths, each named on its own: nothing else is reached without a token.
    RoutingRule(10, _READ_ONLY, HEALTH_PATH, Target.SERVICE, authenticated=False),
    RoutingRule(20, _READ_ONLY, OPENAPI_PATH, Target.SERVICE, authenticated=False),
    RoutingRule(30, _READ_ONLY, DOCS_PATH, Target.SERVICE, authenticated=False),
    RoutingRule(40, _READ_ONLY, DOCS_ASSETS_PATH + "/*", Target.SERVICE, authenticated=False),
    RoutingRule(90, _READ_ONLY, SEED_HEALTH_PATH, Target.SERVICE, authenticated=False),
    RoutingRule(100, ("DELETE",), alb_path_pattern(DELETE_PATH), Target.DELETE_FN, Scope.DELETE),
    RoutingRule(110, ("POST",), PUT_PATH, Target.SERVICE, Scope.WRITE),
    RoutingRule(120, _READ_ONLY, alb_path_pattern(GET_PATH), Target.SERVICE, Scope.READ),
    RoutingRule(130, _READ_ONLY, LIST_PATH, Target.SERVICE, Scope.READ),
    # Anything else under the prefix is no operation (the service answers 404 or 405), but
    # with auth on it still takes a valid token: the data paths are closed to anonymous calls.
    RoutingRule(140, (), ITEM_PATH_PREFIX + "*", Target.SERVICE),
)

_BY_PRIORITY: tuple[RoutingRule, ...] = tuple(sorted(RULES, key=lambda r: r.priority))


def rule_for(method: str, raw_path: str) -> RoutingRule | None:
    """The first rule that matches; None for the listener's default action, the fixed 404."""
    return next((r for r in _BY_PRIORITY if r.matches(method, raw_path)), None)


#: Whether the Lambda's target group sends (and expects back) multi-value headers.
LAMBDA_MULTI_VALUE_HEADERS = False
