"""Which target serves a request: the rules the ALB listener applies, defined once.

The local router dispatches with :func:`target_for`, the Pulumi program turns :data:`RULES`
into listener rules, and the tests check both against this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from picus.auth import Scope
from picus.contract import (
    DELETE_PATH,
    GET_PATH,
    ITEM_PATH_PREFIX,
    LIST_PATH,
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


#: In priority order. Without auth only the rules that leave the default target become
#: listener rules; with auth every rule does, each verifying the token and its scope.
RULES: tuple[RoutingRule, ...] = (
    RoutingRule(90, ("GET", "HEAD"), SEED_HEALTH_PATH, Target.SERVICE, authenticated=False),
    RoutingRule(100, ("DELETE",), alb_path_pattern(DELETE_PATH), Target.DELETE_FN, Scope.DELETE),
    RoutingRule(110, ("POST",), PUT_PATH, Target.SERVICE, Scope.WRITE),
    RoutingRule(120, ("GET", "HEAD"), alb_path_pattern(GET_PATH), Target.SERVICE, Scope.READ),
    RoutingRule(130, ("GET", "HEAD"), LIST_PATH, Target.SERVICE, Scope.READ),
    # Anything else under the prefix is no operation (the service answers 404 or 405), but
    # with auth on it still takes a valid token: the data paths are closed to anonymous calls.
    RoutingRule(140, (), ITEM_PATH_PREFIX + "*", Target.SERVICE),
)

#: The listener's default action: whatever no rule claims.
DEFAULT_TARGET = Target.SERVICE


_BY_PRIORITY: tuple[RoutingRule, ...] = tuple(sorted(RULES, key=lambda r: r.priority))


def rule_for(method: str, raw_path: str) -> RoutingRule | None:
    """The first rule that matches; None for the listener's default action."""
    return next((r for r in _BY_PRIORITY if r.matches(method, raw_path)), None)


def target_for(method: str, raw_path: str) -> Target:
    rule = rule_for(method, raw_path)
    return rule.target if rule is not None else DEFAULT_TARGET


#: Whether the Lambda's target group sends (and expects back) multi-value headers.
LAMBDA_MULTI_VALUE_HEADERS = False
