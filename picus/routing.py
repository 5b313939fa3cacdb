"""Which target serves a request: the rules the ALB listener applies, defined once.

The local router dispatches with :func:`target_for`, the Pulumi program turns :data:`RULES`
into listener rules, and the tests check both against this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from picus.contract import ITEM_PATH_PREFIX


class Target(Enum):
    SERVICE = "service"
    DELETE_FN = "delete_fn"


@dataclass(frozen=True)
class RoutingRule:
    """One ALB listener rule: all of its conditions must hold for it to match."""

    priority: int
    methods: tuple[str, ...]
    path_pattern: str
    target: Target

    @cached_property
    def _path_re(self) -> re.Pattern[str]:
        # ALB path patterns: case-sensitive, '*' is any run of characters, '?' exactly one.
        parts = ("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in self.path_pattern)
        return re.compile("".join(parts), re.DOTALL)

    def matches(self, method: str, path: str) -> bool:
        # The ALB matches the method and the path as they arrive, still percent-encoded.
        return method in self.methods and self._path_re.fullmatch(path) is not None


RULES: tuple[RoutingRule, ...] = (
    RoutingRule(
        priority=100,
        methods=("DELETE",),
        path_pattern=ITEM_PATH_PREFIX + "*",
        target=Target.DELETE_FN,
    ),
)

#: The listener's default action: whatever no rule claims.
DEFAULT_TARGET = Target.SERVICE


def target_for(method: str, raw_path: str) -> Target:
    for rule in sorted(RULES, key=lambda r: r.priority):
        if rule.matches(method, raw_path):
            return rule.target
    return DEFAULT_TARGET


#: Whether the Lambda's target group sends (and expects back) multi-value headers.
LAMBDA_MULTI_VALUE_HEADERS = False
