"""Load balancer and target group names for every stack name the program accepts.

- Every accepted stack name, up to MAX_NAME characters, gives names within AWS's 32 characters
  and its character rule; distinct logical names give distinct physical names.
- A name whose auto-name fits gets none of its own (pulumi-aws auto-names it), so every stack
  name accepted before explicit names existed keeps its physical names.
- An explicit name changes with every input whose change replaces the resource, so Pulumi can
  create the replacement before it deletes the old one.
"""

from __future__ import annotations

import operator
import re
import string

import botocore.session
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from components.naming import (
    AUTONAME_SUFFIX,
    ELB_HASH_LENGTH,
    ELB_NAME_LIMIT,
    LOAD_BALANCER_REPLACED_BY,
    LONGEST_ELB_CHILD,
    MAX_NAME,
    MAX_STACK_NAME,
    TARGET_GROUP_REPLACED_BY,
    Scalar,
    capped_name,
    elb_name,
    explicit_elb_name,
    stack_name_problems,
    stack_prefix,
)
from tests.components.harness import autoname
from tests.components.test_lifecycle import ELB_NAME

#: The children of a stack's prefix that name its load balancer (``alb``) and target groups.
ELB_CHILDREN = ("alb", "tg", "canary-tg", "delete-tg")


def names(longest: int) -> st.SearchStrategy[str]:
    """Names by the stack name's character rule: lower-case letters, digits, inner hyphens."""
    return st.from_regex(rf"[a-z](?:[a-z0-9-]{{0,{longest - 2}}}[a-z0-9])?", fullmatch=True)


#: Every stack name the program accepts, and every one it accepted before explicit names.
stacks = names(MAX_NAME)
old_stacks = names(MAX_STACK_NAME)
#: A child of a stack's prefix: the program's, or a component's of any reasonable length.
children = st.sampled_from(ELB_CHILDREN) | names(MAX_NAME)
logical_names = st.builds(lambda stack, child: f"{stack_prefix(stack)}-{child}", stacks, children)
#: Logical names too long to auto-name: stacks of 20 characters or more.
explicitly_named = st.builds(
    lambda stack, child: f"{stack_prefix(stack)}-{child}",
    st.from_regex(rf"[a-z][a-z0-9-]{{18,{MAX_NAME - 2}}}[a-z0-9]", fullmatch=True),
    children,
)
#: A target group's inputs that replace it.
target_group_inputs = st.fixed_dictionaries(
    {
        "port": st.integers(1, 65535),
        "protocol": st.sampled_from(["HTTP", "HTTPS"]),
        "target_type": st.sampled_from(["ip", "instance"]),
        "vpc_id": st.from_regex(r"vpc-[0-9a-f]{17}", fullmatch=True),
    },
    optional={"protocol_version": st.sampled_from(["HTTP1", "HTTP2", "GRPC"])},
)

#: Any logical name at all, AWS's characters or not, some beginning with what AWS refuses.
any_logical = st.builds(
    operator.add,
    st.sampled_from(["", "internal-", "Internal--", "internal", "-internal-internal-"]),
    st.text(string.ascii_letters + string.digits + "-_.", max_size=140),
)

LONG = "x" * MAX_NAME


def physical(logical: str, inputs: dict[str, Scalar] | None = None) -> str:
    """The name AWS sees: the explicit one, or pulumi-aws's auto-name (here with a suffix
    derived from the logical name, where pulumi-aws's is random)."""
    return elb_name(logical, inputs) or autoname(logical)


def test_the_old_limit_and_the_longest_elb_child_are_the_programs() -> None:
    # Stack names of at most 8 characters were all the program accepted before: theirs are
    # the names that must not change.
    assert MAX_STACK_NAME == 8
    assert len(LONGEST_ELB_CHILD) == max(len(child) for child in ELB_CHILDREN)


@given(stack=stacks, child=children, inputs=target_group_inputs)
@example(stack=LONG, child="canary-tg", inputs={"port": 8000, "protocol": "HTTP"})
@example(stack="alice-dev", child="delete-tg", inputs={})
@example(stack="payments-staging-eu", child="alb", inputs={})
def test_every_accepted_stack_name_gives_names_within_awss_rule(
    stack: str, child: str, inputs: dict[str, Scalar]
) -> None:
    assert stack_name_problems(stack) == []
    name = physical(f"{stack_prefix(stack)}-{child}", inputs)
    assert len(name) <= ELB_NAME_LIMIT, name
    assert re.fullmatch(ELB_NAME, name), name


@given(st.lists(logical_names, unique=True, min_size=2, max_size=30))
def test_distinct_logical_names_give_distinct_physical_names(logical: list[str]) -> None:
    assert len({physical(name) for name in logical}) == len(logical)


@given(stack=stacks)
@example(stack=LONG)
def test_one_stacks_load_balancer_and_target_groups_have_distinct_names(stack: str) -> None:
    # Past 21 characters they share the readable prefix: the hash tells them apart.
    assert len({physical(f"{stack_prefix(stack)}-{c}") for c in ELB_CHILDREN}) == 4


@given(stack=old_stacks, child=st.sampled_from(ELB_CHILDREN), inputs=target_group_inputs)
def test_every_stack_name_accepted_before_keeps_its_auto_names(
    stack: str, child: str, inputs: dict[str, Scalar]
) -> None:
    # Still accepted, and no name input at all: pulumi-aws keeps the name it gave, and
    # nothing is replaced.
    assert stack_name_problems(stack) == []
    assert elb_name(f"{stack_prefix(stack)}-{child}", inputs) is None


@given(logical=st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=80))
def test_a_name_whose_auto_name_fits_gets_none_of_its_own(logical: str) -> None:
    fits = len(logical) + AUTONAME_SUFFIX <= ELB_NAME_LIMIT
    assert (elb_name(logical) is None) is fits


@pytest.mark.parametrize("stack", ["alice-dev", "payments-staging-eu", "a" * 63 + "1", LONG])
def test_long_stack_names_are_accepted(stack: str) -> None:
    assert stack_name_problems(stack) == []


@pytest.mark.parametrize("stack", ["x" * (MAX_NAME + 1), "Alice", "alice_dev", "-a", "a-", ""])
def test_stack_names_past_the_limit_or_the_character_rule_are_refused(stack: str) -> None:
    assert stack_name_problems(stack) != []


def test_alice_dev_keeps_auto_names_where_they_fit() -> None:
    prefix = stack_prefix("alice-dev")
    assert elb_name(f"{prefix}-alb") is None
    assert elb_name(f"{prefix}-tg") is None
    for child in ("canary-tg", "delete-tg"):
        name = elb_name(f"{prefix}-{child}")
        assert name is not None and name.startswith(f"{prefix}-")


def test_explicit_names_never_change_for_the_same_inputs() -> None:
    # A change here renames, and so replaces, every explicitly named load balancer and target
    # group of every running stack: the hash is part of their identity.
    group: dict[str, Scalar] = {
        "port": 8000,
        "protocol": "HTTP",
        "target_type": "ip",
        "vpc_id": "vpc-0123456789abcdef0",
    }
    scope = "picus/payments-staging-eu"
    assert elb_name("picus-payments-staging-eu-canary-tg", group, scope) == (
        "picus-payments-stagin-f9d0bbe651"
    )
    alb: dict[str, Scalar] = {"internal": False, "load_balancer_type": "application"}
    assert elb_name("picus-payments-staging-eu-alb", alb, scope) == (
        "picus-payments-stagin-f3756753f0"
    )
    lambda_group = {"target_type": "lambda"}
    assert elb_name("picus-alice-dev-delete-tg", lambda_group, "picus/alice-dev") == (
        "picus-alice-dev-delet-2879a9b791"
    )


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=64))
def test_two_stacks_of_one_program_never_share_an_explicit_name(cluster: str) -> None:
    # A consumer's program names its cluster alike in every stack; AWS names are per account.
    logical = f"{cluster}-delete-tg" + "x" * 32
    group = {"target_type": "lambda"}
    assert elb_name(logical, group, "team/dev") != elb_name(logical, group, "team/prod")
    function = f"{logical}-fn" + "x" * 64
    dev, prod = (capped_name(function, 64, s) for s in ("team/dev", "team/prod"))
    assert dev is not None and prod is not None and dev != prod
    assert len(dev) <= 64


@given(
    logical=explicitly_named,
    inputs=target_group_inputs,
    key=st.sampled_from(sorted(TARGET_GROUP_REPLACED_BY)),
    value=st.one_of(st.integers(1, 65535), st.text("abcdefgh0123456789-", min_size=1)),
)
def test_a_change_to_an_input_that_replaces_the_resource_changes_its_name(
    logical: str, inputs: dict[str, Scalar], key: str, value: Scalar
) -> None:
    # The replacement is created first, beside its predecessor: it must not bear its name.
    changed = {**inputs, key: value}
    if changed != inputs:
        assert elb_name(logical, changed) != elb_name(logical, inputs)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"internal": False}, {"internal": True}),
        ({"load_balancer_type": "application"}, {"load_balancer_type": "network"}),
        ({"target_type": "ip"}, {"target_type": "lambda"}),
        ({"vpc_id": "vpc-1"}, {"vpc_id": "vpc-2"}),
        ({"port": 8000}, {"port": 8001}),
        ({}, {"protocol_version": "HTTP2"}),
    ],
)
def test_each_replacing_input_is_in_the_hash(
    before: dict[str, Scalar], after: dict[str, Scalar]
) -> None:
    logical = stack_prefix("payments-staging-eu") + "-alb"
    assert elb_name(logical, before) != elb_name(logical, after)


def test_an_unset_input_is_the_same_as_none() -> None:
    logical = stack_prefix(LONG) + "-tg"
    assert elb_name(logical, {"port": 8000, "protocol_version": None}) == elb_name(
        logical, {"port": 8000}
    )


@given(logical=any_logical)
@example(logical="internal")
@example(logical="internal-internal-x")
@example(logical="-" * 40)
def test_explicit_names_keep_awss_rule_for_any_logical_name(logical: str) -> None:
    name = explicit_elb_name(logical, {})
    assert len(name) <= ELB_NAME_LIMIT, name
    assert re.fullmatch(ELB_NAME, name), name
    assert not name.lower().startswith("internal-"), name


def test_an_explicit_name_is_never_an_auto_name() -> None:
    # An auto-name ends in "-" and 7 hex characters; an explicit one in ELB_HASH_LENGTH.
    assert ELB_HASH_LENGTH != AUTONAME_SUFFIX - 1
    name = explicit_elb_name(stack_prefix(LONG) + "-tg", {})
    assert re.fullmatch(rf".*-[0-9a-f]{{{ELB_HASH_LENGTH}}}", name)


#: Each parameter of CreateLoadBalancer / CreateTargetGroup that no later call changes, as the
#: pulumi-aws input that sets it.
CREATE_ONLY = {
    ("CreateLoadBalancer", "LoadBalancerArn"): {
        "Scheme": "internal",
        "Type": "load_balancer_type",
        "CustomerOwnedIpv4Pool": "customer_owned_ipv4_pool",
    },
    ("CreateTargetGroup", "TargetGroupArn"): {
        "Port": "port",
        "Protocol": "protocol",
        "ProtocolVersion": "protocol_version",
        "TargetType": "target_type",
        "VpcId": "vpc_id",
        "IpAddressType": "ip_address_type",
    },
}


@pytest.mark.parametrize(
    ("create", "arn", "replaced_by"),
    [
        ("CreateLoadBalancer", "LoadBalancerArn", LOAD_BALANCER_REPLACED_BY),
        ("CreateTargetGroup", "TargetGroupArn", TARGET_GROUP_REPLACED_BY),
    ],
)
def test_the_inputs_in_the_hash_are_the_ones_aws_cannot_change(
    create: str, arn: str, replaced_by: frozenset[str]
) -> None:
    # What CreateX takes and no Modify*/Set* call on the resource's ARN takes can only change
    # by a new resource: pulumi-aws replaces the resource when it changes.
    model = botocore.session.get_session().get_service_model("elbv2")
    changeable: set[str] = set()
    for operation in model.operation_names:
        shape = model.operation_model(operation).input_shape
        if operation.startswith(("Modify", "Set")) and shape is not None and arn in shape.members:
            changeable |= set(shape.members)
    create_shape = model.operation_model(create).input_shape
    assert create_shape is not None
    create_only = set(create_shape.members) - changeable - {"Name", "Tags"}
    assert create_only == set(CREATE_ONLY[(create, arn)]), "map the new parameter to its input"
    assert set(CREATE_ONLY[(create, arn)].values()) == replaced_by
