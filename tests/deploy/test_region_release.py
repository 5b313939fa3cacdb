"""A canary release of a stack of two regions through the one release command, end to end
(deploy/region_release.py): the fake CLI's program outputs, each region's AWS calls in order
with its own clients, the walkthroughs against a real local origin standing in for each
region's load balancer and for the domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploy.pipeline import Pipeline
from deploy.stack_cli import PulumiCli
from tests.deploy import fake_pulumi
from tests.deploy.release_expectations import (
    expect_check,
    expect_function_release,
    outputs_after_up,
)
from tests.deploy.stubbed_aws import IDENTITY, StubbedAws, stubbed_aws
from tests.deploy.test_pipeline_canary import (
    CANARY,
    NEW,
    OLD,
    _service,
    expect_canary_rollout,
    expect_hand_back,
)

FIRST, SECOND = "eu-west-1", "us-east-1"
TWO_REGIONS = {
    **CANARY,
    "regions": f'["{FIRST}","{SECOND}"]',
    "domainName": "dev.example.com",
    "hostedZoneId": "Z0123456789ABC",
}


def _alarms(aws: StubbedAws, values: dict[str, Any], state: str) -> None:
    names = [str(name) for name in values["canaryAlarmNames"]]
    alarms = [{"AlarmName": n, "StateValue": state, "StateReason": "5xx over 1 %"} for n in names]
    aws.expect("cloudwatch", "describe_alarms", {"MetricAlarms": alarms},
               AlarmNames=names, AlarmTypes=["MetricAlarm"])  # fmt: skip


def _primary_runs(aws: StubbedAws, values: dict[str, Any]) -> None:
    """The region's primary runs its revision, rolled out, its task healthy."""
    aws.expect("ecs", "describe_services",
               {"services": [_service(values, "serviceName", "taskDefinitionArn")]})  # fmt: skip
    healthy = [{"Target": {"Id": "10.0.1.9"}, "TargetHealth": {"State": "healthy"}}]
    aws.expect("elbv2", "describe_target_health", {"TargetHealthDescriptions": healthy},
               TargetGroupArn=values["targetGroupArn"])  # fmt: skip


def _rules(aws: StubbedAws, values: dict[str, Any], weight: int) -> None:
    groups = [{"TargetGroupArn": "arn:primary", "Weight": 100 - weight},
              {"TargetGroupArn": values["canaryTargetGroupArn"], "Weight": weight}]  # fmt: skip
    forward = [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]
    rules = [{"Priority": "10", "Conditions": [], "Actions": forward}]
    aws.expect("elbv2", "describe_rules", {"Rules": rules}, ListenerArn=values["listenerArn"])


def _ups(state: Path) -> list[tuple[str, ...]]:
    return [
        (c.get("releaseRegion", ""), c["imageUri"], c.get("canaryImageUri", ""),
         c.get("canaryWeight", "0"), c.get("handoverCount", "0"))
        for c in fake_pulumi.configs_at_each_up(state, "dev")[1:]
    ]  # fmt: skip


def _release(state: Path, api_url: str, final: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The stack on OLD in both regions; each region's outputs as ``final`` leaves them."""
    fake_pulumi.new_state(state, {"dev": {**TWO_REGIONS, "imageUri": OLD}}, api_url=api_url)
    values = outputs_after_up(state, {**TWO_REGIONS, **final})
    fake_pulumi.run_up(state, "dev")
    regions = values["regions"]
    assert isinstance(regions, dict)
    return {"": values, **regions}


def test_a_release_of_two_regions_takes_one_region_at_a_time_and_checks_each(
    cli_state: Path, api_url: str
) -> None:
    final = {"imageUri": NEW, "canaryImageUri": "", "canaryWeight": "0", "releaseRegion": ""}
    values = _release(cli_state, api_url, final)
    first, second = values[FIRST], values[SECOND]
    lines: list[str] = []
    with stubbed_aws(FIRST) as one, stubbed_aws(SECOND) as two:
        one.expect("sts", "get_caller_identity", IDENTITY)
        # The first region: its canary passes, its share goes back to its primary.
        expect_canary_rollout(one, first)
        _alarms(one, first, "OK")
        expect_hand_back(one, first)
        # Moving on promoted it: its primary runs its new revision before the second is judged.
        _primary_runs(one, first)
        # The second region, the last: its canary passes and is promoted as in one region.
        expect_canary_rollout(two, second)
        _alarms(two, second, "OK")
        expect_hand_back(two, second)
        for aws, regional in ((one, first), (two, second)):
            expect_function_release(aws, str(regional["functionArn"]),
                                    str(regional["functionVersion"]))  # fmt: skip
        for aws, regional in ((one, first), (two, second)):
            expect_check(aws, regional)
        clients = {FIRST: one.aws, SECOND: two.aws}
        release = Pipeline(PulumiCli("dev"), "dev", lambda r: clients[str(r)], lines.append, 0)
        assert release.run(NEW) == 0, "\n".join(lines)

    assert _ups(cli_state) == [
        (FIRST, OLD, NEW, "0", "0"),  # the first region's canary starts
        (FIRST, OLD, NEW, "5", "0"),  # takes its 5 %
        (FIRST, OLD, NEW, "5", "2"),  # passed: its primary grows to the canary's tasks
        (FIRST, OLD, NEW, "0", "2"),  # the share goes back
        (SECOND, OLD, NEW, "0", "0"),  # the first promoted, the second's canary starts at 0 %
        (SECOND, OLD, NEW, "5", "0"),
        (SECOND, NEW, NEW, "5", "2"),  # the last region is promoted as one region is
        (SECOND, NEW, NEW, "0", "2"),
        (SECOND, NEW, "", "0", "0"),
    ]
    sets = [c[2:4] for c in fake_pulumi.calls(cli_state) if c[:2] == ["config", "set"]]
    assert [s for s in sets if s[0] == "releaseRegion"] == [
        ["releaseRegion", FIRST], ["releaseRegion", SECOND], ["releaseRegion", ""],
    ]  # fmt: skip
    outputs = PulumiCli("dev").outputs()["regions"]
    assert [outputs[r]["imageUri"] for r in (FIRST, SECOND)] == [NEW, NEW]
    # Each region's checks on lines of their own, then the domain's walkthrough.
    for region in (FIRST, SECOND):
        assert any(line.startswith(f"ok    {region}: ECS: ") for line in lines)
        assert any(line.startswith(f"ok    {region}: Lambda: alias") for line in lines)
        walked = [line for line in lines if line.startswith(f"ok    {region}: API: ")]
        assert walked and walked[0].endswith(f"through its load balancer {api_url[7:]}")
    assert any(line.startswith("ok    domain: API: put, get") for line in lines)
    assert not [line for line in lines if line.startswith("FAIL")]


def test_a_canary_that_fails_in_the_second_region_stops_there_and_rolls_only_it_back(
    cli_state: Path, api_url: str
) -> None:
    stopped = {"imageUri": OLD, "canaryImageUri": NEW, "canaryWeight": "0",
               "releaseRegion": SECOND}  # fmt: skip
    values = _release(cli_state, api_url, stopped)
    first, second = values[FIRST], values[SECOND]
    lines: list[str] = []
    with stubbed_aws(FIRST) as one, stubbed_aws(SECOND) as two:
        one.expect("sts", "get_caller_identity", IDENTITY)
        expect_canary_rollout(one, first)
        _alarms(one, first, "OK")
        expect_hand_back(one, first)
        _primary_runs(one, first)
        expect_canary_rollout(two, second)
        _alarms(two, second, "ALARM")  # the second region's canary fails its bake
        # The rollback: the rules' share, the floor, the primary runs it, the share goes back.
        _rules(two, second, 5)
        expect_hand_back(two, second)
        clients = {FIRST: one.aws, SECOND: two.aws}
        release = Pipeline(PulumiCli("dev"), "dev", lambda r: clients[str(r)], lines.append, 0)
        assert release.run(NEW) == 1

    assert _ups(cli_state)[4:] == [
        (SECOND, OLD, NEW, "0", "0"),
        (SECOND, OLD, NEW, "5", "0"),
        (SECOND, OLD, NEW, "5", "2"),  # rolled back: the old primary grows to the canary's tasks
        (SECOND, OLD, NEW, "0", "2"),  # the share goes back; canaryImageUri stays the first's
    ]
    outputs = PulumiCli("dev").outputs()["regions"]
    assert outputs[FIRST]["imageUri"] == NEW and outputs[FIRST]["canaryImageUri"] == ""
    assert outputs[SECOND]["imageUri"] == OLD and outputs[SECOND]["canaryWeight"] == 0
    assert any(line.startswith(f"FAIL  {SECOND}: canary: in ALARM: ") for line in lines)
    assert lines[-1].startswith(f"FAIL  {SECOND}: the canary was rolled back (in ALARM: ")
    # Which region runs which image, on lines of their own.
    assert f"      {FIRST} runs {NEW}" in lines
    assert f"      {SECOND} runs {OLD} (canary {NEW} at 0 %)" in lines
    # Nothing after the service phase: no function release, no check.
    assert "lambda:GetFunction" not in one.calls + two.calls
