"""The listener rules are the routing table's, on every serving listener; with auth on, each
verifies the token, the stack's claims and exactly its route's scope before forwarding."""

from __future__ import annotations

import json
from typing import Any

from picus.auth import ScopePolicy
from picus.routing import PREFLIGHT, RULES, Target, serving_rules
from tests.components.conftest import PRODUCTION_REQUIRED, Stack, harness, service_target_group


def serving_listeners(stack: Stack) -> list[dict[str, Any]]:
    return [
        r
        for r in stack.all("aws:lb/listener:Listener")
        if r["state"]["defaultActions"][0]["type"] != "redirect"
    ]


def test_every_rule_of_the_table_on_every_serving_listener(stack: Stack) -> None:
    auth = bool(stack.setting("authIssuer"))
    groups = {
        Target.SERVICE: service_target_group(stack)["state"]["arn"],
        Target.DELETE_FN: next(
            t["state"]["arn"]
            for t in stack.all("aws:lb/targetGroup:TargetGroup")
            if t["state"]["targetType"] == "lambda"
        ),
    }
    # Every rule, with auth or without: the default action forwards nowhere.
    expected = list(RULES)
    # The canary's test twins: tests/components/test_deployment.py.
    rules = [
        r for r in stack.all("aws:lb/listenerRule:ListenerRule") if "-test-rule-" not in r["name"]
    ]
    listeners = serving_listeners(stack)
    assert len(rules) == len(expected) * len(listeners)
    policy = ScopePolicy.from_env(stack.setting("authScopes"), stack.setting("authScopeClaim"))
    for listener in listeners:
        on_listener = [r for r in rules if r["state"]["listenerArn"] == listener["state"]["arn"]]
        for definition in expected:
            (rule,) = [r for r in on_listener if r["state"]["priority"] == definition.priority]
            conditions = rule["state"]["conditions"]
            methods = [
                c["httpRequestMethod"]["values"] for c in conditions if "httpRequestMethod" in c
            ]
            paths = [c["pathPattern"]["values"] for c in conditions if "pathPattern" in c]
            assert methods == ([list(definition.methods)] if definition.methods else [])
            assert paths == [[definition.path_pattern]]
            *checks, forward = rule["state"]["actions"]
            if definition.target is Target.NO_ROUTE:
                # The listener's own 404, as its default action answers: no token is read.
                assert checks == [], rule["name"]
                assert forward["type"] == "fixed-response", rule["name"]
                assert (
                    forward["fixedResponse"]
                    == listener["state"]["defaultActions"][0]["fixedResponse"]
                ), rule["name"]
                continue
            assert forward["type"] == "forward"
            if definition.target is Target.SERVICE:
                # The primary's share; the canary's is tested in test_deployment.py.
                forwarded = [g["arn"] for g in forward["forward"]["targetGroups"]]
                assert forwarded[0] == groups[definition.target], rule["name"]
            else:
                assert forward["targetGroupArn"] == groups[definition.target], rule["name"]
            if not (auth and definition.authenticated):
                assert checks == [], rule["name"]
                continue
            (check,) = checks
            assert check["type"] == "jwt-validation" and check["order"] < forward["order"]
            jwt = check["jwtValidation"]
            assert jwt["issuer"] == stack.setting("authIssuer")
            assert jwt["jwksEndpoint"] == stack.setting("authJwksUrl")
            claims = {c["name"]: c for c in jwt.get("additionalClaims", [])}
            assert claims.pop("aud", None) == {
                "format": "single-string",
                "name": "aud",
                "values": ["https://api.example.com"],
            }
            if definition.scope is None:
                assert claims == {}, rule["name"]
            else:
                # Exactly the route's scope, as OAuth writes scopes.
                assert claims == {
                    policy.claim: {
                        "format": "space-separated-values",
                        "name": policy.claim,
                        "values": [policy.names[definition.scope]],
                    }
                }, rule["name"]


def test_auth_is_on_in_prod_unless_public_on_purpose(stack: Stack) -> None:
    if stack.setting("production") != "true":
        return
    assert bool(stack.setting("authIssuer")) != (stack.setting("publicApi") == "true")


def test_both_runtimes_are_told_the_scopes_to_check(stack: Stack) -> None:
    import json

    auth = bool(stack.setting("authIssuer"))
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")["state"]
    (container,) = json.loads(task["containerDefinitions"])
    service_env = {e["name"]: e["value"] for e in container["environment"]}
    function_env = stack.one("aws:lambda/function:Function")["state"]["environment"]["variables"]
    for env in (service_env, function_env):
        if auth:
            assert env["PICUS_AUTH_SCOPES"] == stack.setting("authScopes")
            assert env["PICUS_AUTH_SCOPE_CLAIM"] == stack.setting("authScopeClaim")
            # The service names the issuer in the API document it serves.
            assert env["PICUS_AUTH_ISSUER"] == stack.setting("authIssuer")
        else:
            assert "PICUS_AUTH_SCOPES" not in env
            assert "PICUS_AUTH_ISSUER" not in env


#: "Rules per Application Load Balancer (excluding default rules)": 100, across all of its
#: listeners ("Quotas for your Application Load Balancers", https://docs.aws.amazon.com/
#: elasticloadbalancing/latest/application/load-balancer-limits.html).
RULES_PER_LOAD_BALANCER = 100


def test_the_load_balancer_stays_under_its_rule_quota(stack: Stack) -> None:
    rules = stack.all("aws:lb/listenerRule:ListenerRule")
    assert len(rules) <= RULES_PER_LOAD_BALANCER, stack.variant
    # Whatever a stack sets: every rule and every service rule's canary twin, on each of the
    # two listeners a load balancer of this program can have.
    twins = [r for r in RULES if r.target is Target.SERVICE]
    assert 2 * (len(RULES) + len(twins)) <= RULES_PER_LOAD_BALANCER


def test_only_a_stack_with_cors_origins_lets_a_preflight_through_without_a_token() -> None:
    # With auth on, every rule verifies the token but the preflight's, which exists only on a
    # stack that names CORS origins.
    def rules(overrides: dict[str, str]) -> dict[int, dict[str, Any]]:
        result = harness("prod", "prod", {**PRODUCTION_REQUIRED, **overrides})
        assert result.returncode == 0, result.stderr
        return {
            r["state"]["priority"]: r["state"]
            for r in json.loads(result.stdout)["resources"]
            if r["type"] == "aws:lb/listenerRule:ListenerRule" and "-test-rule-" not in r["name"]
        }

    without = rules({})
    with_cors = rules({"corsOrigins": json.dumps(["https://app.example.com"])})
    assert set(with_cors) - set(without) == {PREFLIGHT.priority}
    preflight = with_cors[PREFLIGHT.priority]
    assert [a["type"] for a in preflight["actions"]] == ["forward"]
    methods = [
        c["httpRequestMethod"]["values"]
        for c in preflight["conditions"]
        if "httpRequestMethod" in c
    ]
    assert methods == [["OPTIONS"]]
    by_priority = {r.priority: r for r in serving_rules(cors=True)}
    for priority, rule in with_cors.items():
        if by_priority[priority].authenticated:
            assert rule["actions"][0]["type"] == "jwt-validation", priority
