"""Whatever a program in any language sends as an ApiCluster's args, the cluster either has its
settings or refuses with one line per problem, each naming a setting; it never fails otherwise.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pulumi
from hypothesis import given
from hypothesis import strategies as st

from components.api_cluster_args import DEFAULTS, PATHS, REQUIRED
from components.cluster_settings import InvalidSettings, describe
from components.settings_reader import place, resolve

#: Anything a language's SDK can put on the wire, and more.
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
#: Every setting's path, as the args spell it (``scaling.minCount``).
SETTINGS = sorted({*DEFAULTS, *REQUIRED})
#: A setting named in a problem, as describe() renders it for a program's args.
NAMED = re.compile("|".join(re.escape(p) for p in sorted(PATHS.values(), key=len, reverse=True)))


def args_with(values: dict[str, Any]) -> dict[str, Any]:
    """Args holding each value at its setting's place, under its group."""
    args: dict[str, Any] = {}
    for path, value in values.items():
        group, key = place(path)
        target = args.setdefault(group, {}) if group else args
        target[key] = value
    return args


@given(st.dictionaries(st.sampled_from(SETTINGS), VALUES, max_size=6))
def test_any_args_give_settings_or_one_line_per_problem_each_naming_a_setting(
    values: dict[str, Any],
) -> None:
    try:
        resolve("cluster", args_with(values), "dev")
    except InvalidSettings as refusal:
        assert refusal.problems
        for problem in refusal.problems:
            described = describe(problem)
            assert "\n" not in described
            assert NAMED.search(described) or "ApiCluster name" in described, described
            assert "picus:" not in described.split(" ", 1)[0]


@given(st.sampled_from([k for k in SETTINGS if isinstance(DEFAULTS.get(k), int | bool)]))
def test_a_wrong_type_is_refused_naming_its_setting(path: str) -> None:
    expected = "true or false" if isinstance(DEFAULTS[path], bool) else "an integer"
    try:
        resolve("cluster", args_with({path: "many"}), "dev")
    except InvalidSettings as refusal:
        assert f"{path} 'many' is not {expected}" in map(describe, refusal.problems)
    else:
        raise AssertionError(f"{path} = 'many' was accepted")


def test_a_misspelt_setting_or_a_group_that_is_no_object_is_refused() -> None:
    # Left alone, a typo would leave its setting at the default without a word.
    args = {"scalling": {}, "scaling": {"min_cont": 2}, "network": "vpc-0a1b2c3d4e5f60718"}
    try:
        resolve("cluster", args, "dev")
    except InvalidSettings as refusal:
        assert refusal.problems == [
            "'scalling' is not a setting of ApiCluster",
            "network 'vpc-0a1b2c3d4e5f60718' is not an object of settings",
            "scaling.min_cont is not a setting of ApiCluster",
        ]
    else:
        raise AssertionError("accepted")


def test_every_default_is_a_deployable_cluster() -> None:
    settings = resolve("cluster", {}, "dev")
    assert settings.existing_network is None and settings.auth is None
    assert settings.table_name == "picus_data-cluster-dev"


def test_an_output_stands_for_a_value_a_consumers_resource_will_give() -> None:
    # Outputs need an event loop: the program's, here one of the test's own.
    async def resolved() -> None:
        vpc = pulumi.Output.from_input("vpc-0a1b2c3d4e5f60718")
        args = args_with(
            {
                "network.vpcId": vpc,
                "network.publicSubnetIds": [
                    pulumi.Output.from_input("subnet-0aaaaaaaaaaaaaaa1"),
                    "subnet-0aaaaaaaaaaaaaaa2",
                ],
                "network.privateSubnetIds": pulumi.Output.from_input(["subnet-0bbbbbbbbbbbbbbb1"]),
                "certificateArn": pulumi.Output.from_input("arn:aws:acm:eu-west-1:1:certificate/x"),
                "domainName": "api.example.com",
            }
        )
        settings = resolve("cluster", args, "dev")
        assert settings.existing_network is not None
        assert settings.existing_network.vpc_id is vpc
        assert settings.https

    asyncio.run(resolved())
