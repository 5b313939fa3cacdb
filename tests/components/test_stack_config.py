"""The stack's config is validated once, with one message naming every key to change."""

from __future__ import annotations

import json

import pytest

from components.cluster_settings import ClusterSettings
from components.jwt_validation import Claim, ClaimFormat
from components.naming import MAX_NAME, table_name
from components.stack_config import ConfigError, load
from picus.contract import TABLE_NAME
from picus.cors import CORS_ORIGINS_ENV
from tests.components.conftest import PRODUCTION_REQUIRED, harness
from tests.components.harness import stack_config


class Source:
    """``pulumi.Config`` as the CLI fills it: Pulumi.yaml's defaults, then the stack file."""

    def __init__(self, stack_file: str, **overrides: str) -> None:
        self.values = stack_config(stack_file, overrides)

    def get(self, key: str) -> str | None:
        return self.values.get(f"picus:{key}")


def refusal(stack_file: str, stack: str | None = None, **overrides: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load(Source(stack_file, **overrides), stack or stack_file)
    return str(raised.value)


def test_the_stack_files_as_deployed_are_accepted() -> None:
    dev = load(Source("dev"), "dev")
    assert isinstance(dev, ClusterSettings) and not dev.production
    prod = load(Source("prod", **PRODUCTION_REQUIRED), "prod")
    assert prod.production and prod.protect and prod.https


def test_table_names_carry_the_stack_except_where_the_contract_is_pinned() -> None:
    assert load(Source("dev"), "dev").table_name == f"{TABLE_NAME}-dev"
    assert load(Source("dev"), "qa").table_name == f"{TABLE_NAME}-qa"
    assert load(Source("prod", **PRODUCTION_REQUIRED), "prod").table_name == TABLE_NAME
    assert table_name("dev", "") != table_name("prod", TABLE_NAME)


def test_production_needs_https_on_its_domain_and_an_alarm_target() -> None:
    message = refusal("prod")
    assert "picus:certificateArn, picus:domainName" in message
    assert "picus:alarmEmail or picus:alarmTopicArn" in message
    topic = "arn:aws:sns:eu-west-1:123456789012:pager"
    settings = {**PRODUCTION_REQUIRED, "alarmEmail": "", "alarmTopicArn": topic}
    assert load(Source("prod", **settings), "prod").alarm_topic_arn == topic


def test_production_cannot_be_unprotected_or_single_task() -> None:
    message = refusal("prod", protect="false", minCount="1", desiredCount="1")
    assert "picus:protect must be true" in message
    assert "picus:minCount must be at least 2" in message


def test_a_certificate_needs_its_domain() -> None:
    message = refusal("dev", certificateArn=PRODUCTION_REQUIRED["certificateArn"])
    assert "picus:certificateArn needs picus:domainName" in message
    assert "elb.amazonaws.com" in message


def test_a_hosted_zone_needs_a_domain_and_a_domain_alone_is_fine() -> None:
    assert "picus:hostedZoneId needs picus:domainName" in refusal("dev", hostedZoneId="Z0123")
    assert load(Source("dev", domainName="dev.example.com"), "dev").domain_name


def test_every_problem_is_reported_at_once() -> None:
    message = refusal(
        "dev",
        cpu="300",
        minCount="3",
        availabilityZones="1",
        logRetentionDays="10",
        natGateways="many",
        imageUri="picus:latest",
    )
    for key in ("cpu", "minCount", "availabilityZones", "logRetentionDays", "natGateways"):
        assert f"picus:{key}" in message, key
    assert "picus:imageUri 'picus:latest' is not of the form" in message


@pytest.mark.parametrize("stack", ["Prod", "dev_1", "-x", "x-", "x" * (MAX_NAME + 1)])
def test_stack_names_that_cannot_name_resources_are_refused(stack: str) -> None:
    assert "stack name" in refusal("dev", stack)


def test_malformed_values_name_their_key() -> None:
    assert "picus:protect 'yes' is not true or false" in refusal("dev", protect="yes")
    assert "picus:cpu 'big' is not an integer" in refusal("dev", cpu="big")
    assert "picus:certificateArn" in refusal(
        "dev", certificateArn="arn:aws:iam::1:x", domainName="a.example.com"
    )


def test_a_subnet_layout_that_does_not_fit_is_refused_naming_its_keys() -> None:
    message = refusal("dev", availabilityZones="4", privateSubnetCidrMask="17")
    assert "picus:privateSubnetCidrMask, picus:publicSubnetCidrMask" in message
    assert "each zone's /18" in message


def test_a_firewall_rate_limit_waf_cannot_enforce_is_refused() -> None:
    assert "picus:firewallRateLimit must be 10..2000000000" in refusal("dev", firewallRateLimit="5")


def test_a_production_stack_without_auth_must_say_it_is_public_on_purpose() -> None:
    public = {**PRODUCTION_REQUIRED, "authIssuer": "", "authJwksUrl": ""}
    message = refusal("prod", **public)
    assert "picus:authIssuer and picus:authJwksUrl, or picus:publicApi true" in message
    assert "the whole internet" in message
    assert load(Source("prod", **public, publicApi="true"), "prod").auth is None


def test_auth_settings_that_cannot_work_are_refused() -> None:
    issuer = {"authIssuer": "https://login.example.com/"}
    jwks = {"authJwksUrl": "https://login.example.com/jwks"}
    assert "go together" in refusal("dev", **issuer)
    assert "HTTPS listeners only" in refusal("dev", **issuer, **jwks)
    https = {**issuer, "certificateArn": PRODUCTION_REQUIRED["certificateArn"]}
    https |= {"domainName": "dev.example.com"}
    assert "must be an https:// URL" in refusal("dev", **https, authJwksUrl="http://x/jwks")
    assert "picus:authClaims: the load balancer checks exp itself" in refusal(
        "dev", **https, **jwks, authClaims="exp=1"
    )
    assert "picus:authClaims 'aud' is not name=value" in refusal(
        "dev", **https, **jwks, authClaims="aud"
    )
    assert "every operation needs a scope" in refusal(
        "dev", **https, **jwks, authScopes="read=r,write=w"
    )
    auth = load(Source("dev", **https, **jwks, authClaims="aud=api, tenant=t1"), "dev").auth
    assert auth is not None and auth.claims == (
        Claim("aud", ClaimFormat.SINGLE_STRING, ("api",)),
        Claim("tenant", ClaimFormat.SINGLE_STRING, ("t1",)),
    )
    assert auth.scope_format is ClaimFormat.SPACE_SEPARATED


def test_claims_the_issuer_writes_as_arrays_are_matched_as_arrays() -> None:
    # The load balancer matches a claim only in the JSON type the token carries it in.
    auth_on = {
        **{k: PRODUCTION_REQUIRED[k] for k in ("certificateArn", "domainName")},
        "authIssuer": "https://login.example.com/",
        "authJwksUrl": "https://login.example.com/jwks",
        "authClaims": "aud=api,tenant=t1",
    }
    auth = load(Source("dev", **auth_on, authArrayClaims="aud, scp", authScopeClaim="scp"), "dev")
    assert auth.auth is not None
    assert {c.name: c.format for c in auth.auth.claims} == {
        "aud": ClaimFormat.STRING_ARRAY,
        "tenant": ClaimFormat.SINGLE_STRING,
    }
    assert auth.auth.scope_format is ClaimFormat.STRING_ARRAY
    message = refusal("dev", **auth_on, authArrayClaims="groups")
    assert "picus:authArrayClaims 'groups' is neither a claim of picus:authClaims" in message


def test_what_the_load_balancers_verifier_refuses_is_refused_at_preview() -> None:
    # Every limit is tested in test_jwt_validation.py; here, that load() applies them all.
    message = refusal(
        "dev",
        **{k: PRODUCTION_REQUIRED[k] for k in ("certificateArn", "domainName")},
        authIssuer="https://login.example.com/" + "i" * 300,
        authJwksUrl="https://localhost/jwks",
        authClaims=",".join(f"c{i}=v" for i in range(10)),
    )
    assert "picus:authIssuer is 326 characters" in message
    assert "picus:authJwksUrl 'https://localhost/jwks'" in message
    assert "picus:authClaims: 10 claims and the scope" in message


def test_cors_origins_are_none_by_default_and_a_list_of_exact_https_origins() -> None:
    assert load(Source("dev"), "dev").cors_origins == ()
    origins = '["https://app.example.com", "https://admin.example.com:8443"]'
    dev = load(Source("dev", corsOrigins=origins), "dev")
    assert dev.cors_origins == ("https://app.example.com", "https://admin.example.com:8443")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ('["*"]', "no wildcard"),
        ('["https://*.example.com"]', "no wildcard"),
        ('["http://app.example.com"]', "must be https"),
        ('["https://app.example.com/"]', "no path"),
        ('["https://App.example.com"]', "lowercase"),
        ('["https://app.example.com:443"]', "default port"),
        ("https://app.example.com", "not a list of strings"),
        ("[1]", "not a list of strings"),
    ],
)
def test_cors_origins_a_browser_never_sends_are_refused_at_preview(value: str, why: str) -> None:
    message = refusal("dev", corsOrigins=value)
    assert "picus:corsOrigins" in message and why in message, message


def test_both_runtimes_get_the_stacks_cors_origins_under_the_mocks() -> None:
    origins = ["https://b.example.com", "https://app.example.com"]
    result = harness("dev", "dev", {"corsOrigins": json.dumps(origins)})
    assert result.returncode == 0, result.stderr
    resources = json.loads(result.stdout)["resources"]
    expected = "https://app.example.com,https://b.example.com"
    tasks = [r for r in resources if r["type"] == "aws:ecs/taskDefinition:TaskDefinition"]
    assert tasks, "no task definition"
    for task in tasks:
        (container,) = json.loads(task["state"]["containerDefinitions"])
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env[CORS_ORIGINS_ENV] == expected, task["name"]
    (function,) = [r for r in resources if r["type"] == "aws:lambda/function:Function"]
    assert function["state"]["environment"]["variables"][CORS_ORIGINS_ENV] == expected
