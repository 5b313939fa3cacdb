"""The IAM evaluator the CI roles' policies are checked with (tests/deploy/iam_evaluator.py),
held to AWS's documented evaluation logic on small policies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.deploy.iam_evaluator import (
    Decision,
    Request,
    UnknownOperator,
    allows,
    decide,
    matches,
)

TOPIC = "arn:aws:sns:eu-west-1:123456789012:picus-dev-topic"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**element: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **element}


def test_nothing_allowed_is_an_implicit_deny() -> None:
    assert decide(policy(), Request("sns:Publish", TOPIC)) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_over_any_allow() -> None:
    document = policy(
        allow(Action="sns:*", Resource="*"),
        {"Effect": "Deny", "Action": "sns:DeleteTopic", "Resource": TOPIC},
    )
    assert decide(document, Request("sns:DeleteTopic", TOPIC)) is Decision.EXPLICIT_DENY
    assert decide(document, Request("sns:Publish", TOPIC)) is Decision.ALLOW


def test_actions_match_without_case_resources_with_it() -> None:
    document = policy(allow(Action="SNS:publish", Resource=TOPIC))
    assert allows(document, Request("sns:Publish", TOPIC))
    assert not allows(document, Request("sns:Publish", TOPIC.upper()))


def test_wildcards_cross_colons_and_slashes() -> None:
    document = policy(
        allow(Action="ecs:Describe*", Resource="arn:aws:ecs:*:123456789012:service/picus-dev-*")
    )
    service = "arn:aws:ecs:eu-west-1:123456789012:service/picus-dev-api-cluster/picus-dev-api"
    assert allows(document, Request("ecs:DescribeServices", service))
    assert not allows(document, Request("ecs:UpdateService", service))
    other = service.replace("picus-dev", "picus-prod")
    assert not allows(document, Request("ecs:DescribeServices", other))


def test_not_action_and_not_resource_allow_everything_else() -> None:
    document = policy(
        allow(NotAction="sns:DeleteTopic", Resource="*"),
        allow(Action="sqs:*", NotResource=TOPIC),
    )
    assert allows(document, Request("sns:Publish", TOPIC))
    assert not allows(document, Request("sns:DeleteTopic", TOPIC))
    assert allows(document, Request("sqs:SendMessage", "arn:aws:sqs:eu-west-1:1:q"))


def tagged(*conditions: tuple[str, str, Any]) -> dict[str, Any]:
    condition: dict[str, dict[str, Any]] = {}
    for operator, key, value in conditions:
        condition.setdefault(operator, {})[key] = value
    return policy(allow(Action="ec2:DeleteVpc", Resource="*", Condition=condition))


def deletes(document: dict[str, Any], **context: Any) -> bool:
    return allows(document, Request("ec2:DeleteVpc", "arn:aws:ec2:eu-west-1:1:vpc/vpc-1", context))


def test_a_single_valued_condition_needs_its_key() -> None:
    document = tagged(("StringEquals", "aws:ResourceTag/stack", "dev"))
    assert deletes(document, **{"aws:ResourceTag/stack": "dev"})
    assert not deletes(document, **{"aws:ResourceTag/stack": "prod"})
    assert not deletes(document)


def test_condition_keys_match_without_case_their_values_with_it() -> None:
    document = tagged(("StringEquals", "aws:ResourceTag/stack", "dev"))
    assert deletes(document, **{"AWS:resourcetag/stack": "dev"})
    assert not deletes(document, **{"aws:ResourceTag/stack": "DEV"})


def test_values_of_one_key_are_alternatives_keys_and_operators_all_hold() -> None:
    document = tagged(
        ("StringEquals", "aws:ResourceTag/stack", ["dev", "test"]),
        ("StringEquals", "aws:ResourceTag/project", "picus"),
        ("StringLike", "ec2:Vpc", "arn:aws:ec2:*:vpc/vpc-*"),
    )
    both = {"aws:ResourceTag/project": "picus", "ec2:Vpc": "arn:aws:ec2:eu-west-1:vpc/vpc-1"}
    assert deletes(document, **{"aws:ResourceTag/stack": "test", **both})
    assert not deletes(document, **{"aws:ResourceTag/stack": "test"})
    assert not deletes(document, **{**both, "ec2:Vpc": "arn:aws:ec2:eu-west-1:subnet/s-1"})


def test_arn_like_matches_wildcards() -> None:
    document = tagged(("ArnLike", "ecs:cluster", "arn:aws:ecs:*:1:cluster/picus-dev-*"))
    assert deletes(document, **{"ecs:cluster": "arn:aws:ecs:eu-west-1:1:cluster/picus-dev-api"})
    assert not deletes(document, **{"ecs:cluster": "arn:aws:ecs:eu-west-1:1:cluster/other"})


def test_for_all_values_holds_for_every_value_and_for_none() -> None:
    document = tagged(("ForAllValues:StringEquals", "aws:TagKeys", ["stack", "project"]))
    assert deletes(document, **{"aws:TagKeys": ["stack"]})
    assert deletes(document, **{"aws:TagKeys": ["stack", "project"]})
    assert not deletes(document, **{"aws:TagKeys": ["stack", "owner"]})
    # AWS's documented rule: with no values in the request, ForAllValues holds.
    assert deletes(document)


def test_an_unknown_operator_fails_rather_than_holding() -> None:
    document = tagged(("StringNotEquals", "aws:ResourceTag/stack", "prod"))
    with pytest.raises(UnknownOperator, match="StringNotEquals"):
        deletes(document, **{"aws:ResourceTag/stack": "dev"})


def test_a_lone_statement_object_is_read_as_a_list() -> None:
    document = {"Version": "2012-10-17", "Statement": allow(Action="sns:Publish", Resource="*")}
    assert allows(document, Request("sns:Publish", TOPIC))


_PIECES = st.text(alphabet="abc-/:.[]", max_size=6)


@given(st.lists(_PIECES, min_size=1, max_size=4), st.lists(_PIECES, min_size=3, max_size=3))
@example(["picus-dev-", ""], ["api:/x", "", ""])
@example(["[a]", ""], ["b", "", ""])
def test_a_star_stands_for_any_text_and_nothing_else_is_special(
    pieces: list[str], fills: list[str]
) -> None:
    glob = "*".join(pieces)
    filled = "".join(
        p + (fills[i % 3] if i < len(pieces) - 1 else "") for i, p in enumerate(pieces)
    )
    assert matches(glob, filled)
    # Without a star, a glob matches itself only: brackets and dots are plain characters.
    literal = "".join(pieces)
    assert matches(literal, literal)
    assert not matches(literal, literal + "x")


@given(st.text(alphabet="ab", min_size=1, max_size=5))
def test_a_question_mark_stands_for_exactly_one_character(value: str) -> None:
    assert matches("?" * len(value), value)
    assert not matches("?" * (len(value) + 1), value)
