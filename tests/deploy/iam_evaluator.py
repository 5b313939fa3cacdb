"""IAM's decision on one request under one identity policy, as AWS's policy evaluation logic
documents it: an explicit Deny wins, else any Allow, else the implicit deny. A statement applies
when its Action (or NotAction), its Resource (or NotResource) and every one of its conditions
match. Actions match without regard to case, resources with it; ``*`` and ``?`` are the only
wildcards, and they cross ``:`` and ``/``.

Only the condition operators the committed policies use are known (``OPERATORS``): any other
raises, rather than being read as true.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeAlias

#: A condition key's value in a request: one string, or several (``aws:TagKeys``).
Value: TypeAlias = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, Value] = field(default_factory=dict)


class Decision(enum.Enum):
    ALLOW = "allow"
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


class UnknownOperator(Exception):
    """A condition operator this evaluator does not implement."""


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(glob: str, value: str, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _single(test: Callable[[str, str], bool]) -> Callable[[Sequence[str] | None, list[str]], bool]:
    """A single-valued operator: false when the request lacks the key, else true when the
    request's value passes against any of the condition's values."""

    def check(actual: Sequence[str] | None, expected: list[str]) -> bool:
        if actual is None:
            return False
        return any(test(value, wanted) for value in actual for wanted in expected)

    return check


def _for_all_values(
    test: Callable[[str, str], bool],
) -> Callable[[Sequence[str] | None, list[str]], bool]:
    """``ForAllValues:``: every value of the request passes against some value of the
    condition; true when the request has none (IAM's documented, and surprising, rule)."""

    def check(actual: Sequence[str] | None, expected: list[str]) -> bool:
        return all(any(test(value, wanted) for wanted in expected) for value in actual or [])

    return check


def _equals(value: str, wanted: str) -> bool:
    return value == wanted


def _like(value: str, wanted: str) -> bool:
    return matches(wanted, value)


OPERATORS: Mapping[str, Callable[[Sequence[str] | None, list[str]], bool]] = {
    "StringEquals": _single(_equals),
    "StringLike": _single(_like),
    "ArnLike": _single(_like),
    "ForAllValues:StringEquals": _for_all_values(_equals),
}


def _conditions_hold(
    conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Value]
) -> bool:
    # Condition keys are case-insensitive; their values are not.
    known = {key.lower(): _listed(value) for key, value in context.items()}
    for operator, tests in conditions.items():
        if operator not in OPERATORS:
            raise UnknownOperator(operator)
        for key, expected in tests.items():
            if not OPERATORS[operator](known.get(key.lower()), _listed(expected)):
                return False
    return True


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        action = any(matches(a, request.action, True) for a in _listed(statement["Action"]))
    else:
        action = not any(matches(a, request.action, True) for a in _listed(statement["NotAction"]))
    if "Resource" in statement:
        resource = any(matches(r, request.resource) for r in _listed(statement["Resource"]))
    else:
        resource = not any(matches(r, request.resource) for r in _listed(statement["NotResource"]))
    return action and resource and _conditions_hold(statement.get("Condition", {}), request.context)


def decide(policy: Mapping[str, Any], request: Request) -> Decision:
    statements = _listed_statements(policy["Statement"])
    applying = [s for s in statements if _applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return Decision.EXPLICIT_DENY
    if any(s["Effect"] == "Allow" for s in applying):
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY


def allows(policy: Mapping[str, Any], request: Request) -> bool:
    return decide(policy, request) is Decision.ALLOW


def _listed_statements(statements: Any) -> list[Mapping[str, Any]]:
    return [statements] if isinstance(statements, Mapping) else list(statements)
