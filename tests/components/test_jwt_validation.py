"""What the load balancer's jwt-validation action accepts: each documented limit passes at the
limit and is refused one past it, naming the key to change; a stack so configured is refused
before anything is created; and the actions the program creates fit botocore's model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.model import NoShapeFoundError, Shape, ShapeResolver, StringShape, StructureShape
from botocore.validate import ParamValidator

from components.jwt_validation import (
    MAX_ADDITIONAL_CLAIMS,
    MAX_CLAIM_VALUE_LENGTH,
    MAX_CLAIM_VALUES,
    MAX_ISSUER_LENGTH,
    MAX_JWKS_URL_LENGTH,
    RESERVED_CLAIMS,
    Claim,
    ClaimFormat,
    EdgeAuth,
    problems,
)
from picus.auth import Scope, ScopePolicy
from tests.components.conftest import PRODUCTION_REQUIRED, harness

JWKS = "https://login.example.com/.well-known/jwks.json"
AUTH = EdgeAuth(
    issuer="https://login.example.com/",
    jwks_url=JWKS,
    policy=ScopePolicy(),
    claims=(Claim("aud", ClaimFormat.SINGLE_STRING, ("https://api.example.com",)),),
)


def single(name: str, value: str = "v") -> Claim:
    return Claim(name, ClaimFormat.SINGLE_STRING, (value,))


def test_the_stacks_own_settings_have_no_problem() -> None:
    assert problems(AUTH) == []


def test_the_issuer_is_at_most_256_characters() -> None:
    at_limit = "https://login.example.com/" + "i" * (MAX_ISSUER_LENGTH - 26)
    assert problems(replace(AUTH, issuer=at_limit)) == []
    (problem,) = problems(replace(AUTH, issuer=at_limit + "i"))
    assert problem.startswith("picus:authIssuer is 257 characters")


def test_the_jwks_url_is_at_most_256_characters() -> None:
    at_limit = JWKS + "x" * (MAX_JWKS_URL_LENGTH - len(JWKS))
    assert problems(replace(AUTH, jwks_url=at_limit)) == []
    (problem,) = problems(replace(AUTH, jwks_url=at_limit + "x"))
    assert problem.startswith("picus:authJwksUrl is 257 characters")


@pytest.mark.parametrize(
    "url",
    [
        "http://login.example.com/jwks",  # not HTTPS
        "https://login.example.com",  # no path
        "https://login.example.com/",
        "https:///jwks",  # no host
        "login.example.com/jwks",
    ],
)
def test_the_jwks_url_is_a_full_https_url(url: str) -> None:
    (problem,) = problems(replace(AUTH, jwks_url=url))
    assert problem.startswith(f"picus:authJwksUrl {url!r} must be an https:// URL")


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "10.0.0.5", "192.168.1.1", "169.254.169.254", "[::1]"]
)
def test_the_jwks_url_is_one_the_load_balancer_can_reach(host: str) -> None:
    (problem,) = problems(replace(AUTH, jwks_url=f"https://{host}/jwks"))
    assert problem.startswith("picus:authJwksUrl") and "publicly accessible" in problem
    assert problems(replace(AUTH, jwks_url="https://203.0.114.7/jwks")) == []


def test_at_most_ten_claims_per_rule_the_scope_included() -> None:
    at_limit = tuple(single(f"c{i}") for i in range(MAX_ADDITIONAL_CLAIMS - 1))
    auth = replace(AUTH, claims=at_limit)
    assert problems(auth) == []
    assert len(auth.additional_claims(Scope.READ)) == MAX_ADDITIONAL_CLAIMS
    (problem,) = problems(replace(AUTH, claims=(*at_limit, single("c9"))))
    assert problem.startswith("picus:authClaims: 10 claims and the scope are more than the 10")


def test_a_claim_value_is_at_most_256_characters() -> None:
    at_limit = "v" * MAX_CLAIM_VALUE_LENGTH
    assert problems(replace(AUTH, claims=(single("aud", at_limit),))) == []
    (problem,) = problems(replace(AUTH, claims=(single("aud", at_limit + "v"),)))
    assert problem == "picus:authClaims: the value of aud must be 1..256 characters, not 257"


def test_a_scope_value_is_at_most_256_characters_and_one_word() -> None:
    names = dict(ScopePolicy().names)
    at_limit = ScopePolicy({**names, Scope.READ: "r" * MAX_CLAIM_VALUE_LENGTH})
    assert problems(replace(AUTH, policy=at_limit)) == []
    too_long = ScopePolicy({**names, Scope.READ: "r" * (MAX_CLAIM_VALUE_LENGTH + 1)})
    (problem,) = problems(replace(AUTH, policy=too_long))
    assert problem.startswith("picus:authScopes: the value of scope must be 1..256")
    # Space-separated values cannot hold a space; an array's values can.
    spaced = ScopePolicy({**names, Scope.READ: "picus read"})
    (problem,) = problems(replace(AUTH, policy=spaced))
    assert problem == "picus:authScopes: 'picus read' of scope is one word, without spaces"
    assert problems(replace(AUTH, policy=spaced, scope_format=ClaimFormat.STRING_ARRAY)) == []


def test_a_claim_has_one_to_ten_values() -> None:
    at_limit = Claim("aud", ClaimFormat.STRING_ARRAY, tuple(f"a{i}" for i in range(10)))
    assert len(at_limit.values) == MAX_CLAIM_VALUES
    assert problems(replace(AUTH, claims=(at_limit,))) == []
    past = replace(at_limit, values=(*at_limit.values, "a10"))
    none = replace(at_limit, values=())
    for claim in (past, none):
        (problem,) = problems(replace(AUTH, claims=(claim,)))
        assert problem == "picus:authClaims: aud needs 1..10 values"


@pytest.mark.parametrize("name", sorted(RESERVED_CLAIMS))
def test_the_claims_aws_validates_itself_are_refused(name: str) -> None:
    (problem,) = problems(replace(AUTH, claims=(single(name),)))
    assert problem == (
        f"picus:authClaims: the load balancer checks {name} itself and refuses them as "
        "additional claims"
    )
    (problem,) = problems(replace(AUTH, policy=ScopePolicy(claim=name)))
    assert problem.startswith("picus:authScopeClaim")


def test_a_claim_is_named_once_and_never_as_the_scope_claim() -> None:
    (problem,) = problems(replace(AUTH, claims=(single("aud"), single("aud", "w"))))
    assert problem == "picus:authClaims names aud more than once"
    (problem,) = problems(replace(AUTH, claims=(single("scope", "picus:read"),)))
    assert problem.startswith("picus:authClaims, picus:authScopeClaim: scope is the scope claim")


def test_a_cognito_audience_would_refuse_every_access_token() -> None:
    cognito = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    auth = replace(AUTH, issuer=cognito, jwks_url=cognito + "/.well-known/jwks.json")
    (problem,) = problems(auth)
    assert problem.startswith("picus:authClaims: a Cognito user pool's access tokens have no aud")
    assert problems(replace(auth, claims=(single("client_id", "4tq1example"),))) == []


def test_the_action_checks_the_stacks_claims_then_exactly_the_routes_scope() -> None:
    auth = replace(
        AUTH,
        claims=(single("tenant", "t1"), *AUTH.claims),
        scope_format=ClaimFormat.STRING_ARRAY,
    )
    assert [c.name for c in auth.additional_claims(None)] == ["aud", "tenant"]
    *_, scope = auth.additional_claims(Scope.DELETE)
    assert scope == Claim("scope", ClaimFormat.STRING_ARRAY, ("picus:delete",))


@pytest.mark.parametrize(
    ("form", "passes", "refused"),
    [
        (ClaimFormat.SINGLE_STRING, ["api"], [["api"], "api other", "apis", "", None, 1]),
        (ClaimFormat.STRING_ARRAY, [["api"], ["other", "api"]], ["api", ["apis"], [], None]),
        (
            ClaimFormat.SPACE_SEPARATED,
            ["api", "other api", "api other"],
            [["api"], "apis", "other-api", "", None],
        ),
    ],
)
def test_each_format_matches_its_own_json_type_only(
    form: ClaimFormat, passes: list[object], refused: list[object]
) -> None:
    claim = Claim("aud", form, ("api",))
    for held in passes:
        assert claim.matches(held), held
    for held in refused:
        assert not claim.matches(held), held


# Through the program, under Pulumi's mocks.

TLS = {k: PRODUCTION_REQUIRED[k] for k in ("certificateArn", "domainName")}


def test_a_stack_the_load_balancer_would_refuse_fails_before_anything_is_created() -> None:
    result = harness(
        "dev",
        "dev",
        {
            **TLS,
            "authIssuer": "https://login.example.com/" + "i" * MAX_ISSUER_LENGTH,
            "authJwksUrl": "https://10.0.0.5/jwks",
            "authClaims": "aud=https://api.example.com,iat=1",
            "authArrayClaims": "groups",
        },
    )
    assert result.returncode == 3, result.stderr
    refusal = json.loads(result.stdout)["refused"]
    for key in ("authIssuer", "authJwksUrl", "authClaims", "authArrayClaims"):
        assert f"picus:{key}" in refusal, key


# AWS's own shapes for the action, copied verbatim from a botocore release that has them (the
# file records which), for as long as the locked botocore predates the action.
EXCERPT = Path(__file__).parent / "data" / "elbv2-jwt-shapes.json"


def _elbv2_shape(name: str) -> Shape:
    """The installed botocore's shape when it knows the action, else the committed excerpt's,
    resolved by the same `ShapeResolver` a botocore service model uses."""
    model = botocore.session.get_session().get_service_model("elbv2")
    try:
        return model.shape_for(name)
    except NoShapeFoundError:
        excerpt = json.loads(EXCERPT.read_text(encoding="utf-8"))
        return ShapeResolver(excerpt["shapes"]).get_shape_by_name(name)


def _jwt_actions(overrides: dict[str, str]) -> list[dict[str, Any]]:
    result = harness("prod", "prod", {**PRODUCTION_REQUIRED, **overrides})
    assert result.returncode == 0, result.stderr
    resources = json.loads(result.stdout)["resources"]
    return [
        action["jwtValidation"]
        for rule in resources
        if rule["type"] == "aws:lb/listenerRule:ListenerRule"
        for action in rule["state"]["actions"]
        if action["type"] == "jwt-validation"
    ]


def test_the_actions_the_program_creates_fit_botocores_model() -> None:
    shape = _elbv2_shape("JwtValidationActionConfig")
    claim_shape = _elbv2_shape("JwtValidationActionAdditionalClaim")
    assert isinstance(shape, StructureShape) and isinstance(claim_shape, StructureShape)
    format_shape = claim_shape.members["Format"]
    assert isinstance(format_shape, StringShape)
    formats = set(format_shape.enum)
    assert formats == {f.value for f in ClaimFormat}
    actions = _jwt_actions({"authClaims": "aud=https://api.example.com", "authArrayClaims": "aud"})
    assert actions
    for action in actions:
        params = {
            "Issuer": action["issuer"],
            "JwksEndpoint": action["jwksEndpoint"],
            "AdditionalClaims": [
                {"Format": c["format"], "Name": c["name"], "Values": c["values"]}
                for c in action.get("additionalClaims", [])
            ],
        }
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()
        # botocore checks neither enums nor the limits its documentation states: these do.
        assert len(params["Issuer"]) <= MAX_ISSUER_LENGTH
        assert len(params["JwksEndpoint"]) <= MAX_JWKS_URL_LENGTH
        assert len(params["AdditionalClaims"]) <= MAX_ADDITIONAL_CLAIMS
        for claim in params["AdditionalClaims"]:
            assert claim["Format"] in formats and claim["Name"] not in RESERVED_CLAIMS
            assert 1 <= len(claim["Values"]) <= MAX_CLAIM_VALUES
            assert all(len(v) <= MAX_CLAIM_VALUE_LENGTH for v in claim["Values"])
    assert {c["name"]: c["format"] for a in actions for c in a.get("additionalClaims", [])} == {
        "aud": "string-array",
        "scope": "space-separated-values",
    }


def test_the_limits_are_the_ones_botocores_model_documents() -> None:
    config = _elbv2_shape("JwtValidationActionConfig")
    claim = _elbv2_shape("JwtValidationActionAdditionalClaim")
    assert isinstance(config, StructureShape) and isinstance(claim, StructureShape)
    members = {**config.members, **{f"Claim{k}": v for k, v in claim.members.items()}}
    docs = {k: v.documentation for k, v in members.items()}
    assert f"maximum length is {MAX_ISSUER_LENGTH} characters" in docs["Issuer"]
    assert f"maximum length is {MAX_JWKS_URL_LENGTH} characters" in docs["JwksEndpoint"]
    assert "HTTPS" in docs["JwksEndpoint"]
    assert f"maximum size of the list is {MAX_ADDITIONAL_CLAIMS}" in docs["AdditionalClaims"]
    assert f"maximum size of the list is {MAX_CLAIM_VALUES}" in docs["ClaimValues"]
    assert f"up to {MAX_CLAIM_VALUE_LENGTH} characters" in docs["ClaimValues"]
    for name in RESERVED_CLAIMS:
        assert f"<code>{name}</code>" in docs["ClaimName"], name


def test_the_excerpt_is_a_whole_piece_of_a_named_botocore_release() -> None:
    excerpt = json.loads(EXCERPT.read_text(encoding="utf-8"))
    source = excerpt["source"]
    assert source["package"] == "botocore" and source["version"]
    assert source["path"].startswith("botocore/data/elbv2/2015-12-01/service-2.json")
    shapes = excerpt["shapes"]
    # Every shape the excerpt refers to is in it, so no member resolves to a missing name.
    referred = {
        ref["shape"]
        for shape in shapes.values()
        for ref in [*shape.get("members", {}).values(), *filter(None, [shape.get("member")])]
    }
    assert referred <= set(shapes), referred - set(shapes)
    installed = botocore.session.get_session().get_service_data("elbv2")["shapes"]
    for name, shape in shapes.items():
        if name in installed:  # a botocore with the action: the excerpt must say what it says
            assert installed[name]["type"] == shape["type"], name
            assert installed[name].get("enum") == shape.get("enum"), name
            assert set(installed[name].get("members", {})) == set(shape.get("members", {})), name
