"""The step that starts CodeDeploy's shift of the DELETE function's alias, against CodeDeploy's
and Lambda's own shapes (botocore's Stubber validates every request and response)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from components import outputs
from components.delete_function import ALIAS
from components.function_release import GROUP
from deploy import release
from deploy.release import Release, ReleaseFailed, appspec, target_version

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:picus-dev-delete-fn-1a2b3c4"
NAME = "picus-dev-delete-fn-1a2b3c4"
TARGET = Release(NAME, "12")


def alias_on(stubber: Stubber, version: str, extra: dict[str, float] | None = None) -> None:
    answer: dict[str, Any] = {"Name": ALIAS, "FunctionVersion": version}
    if extra:
        answer["RoutingConfig"] = {"AdditionalVersionWeights": extra}
    stubber.add_response("get_alias", answer, {"FunctionName": NAME, "Name": ALIAS})


def under_way(stubber: Stubber, ids: list[str]) -> None:
    stubber.add_response(
        "list_deployments",
        {"deployments": ids},
        {
            "applicationName": NAME,
            "deploymentGroupName": GROUP,
            "includeOnlyStatuses": list(release.UNDER_WAY),
        },
    )


def test_the_release_is_read_from_the_stacks_outputs() -> None:
    values = {outputs.FUNCTION_ARN: FUNCTION, outputs.FUNCTION_VERSION: "12"}
    assert Release.from_outputs(values) == TARGET
    # The function's CodeDeploy application carries its name.
    assert TARGET.application == NAME
    with pytest.raises(ReleaseFailed, match=outputs.FUNCTION_VERSION):
        Release.from_outputs({outputs.FUNCTION_ARN: FUNCTION})


def test_a_shift_is_started_from_where_the_alias_points(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    alias_on(fn_stub, "11")
    under_way(cd_stub, [])
    content = appspec(TARGET, "11")
    cd_stub.add_response(
        "create_deployment",
        {"deploymentId": "d-ABCD12345"},
        {
            "applicationName": NAME,
            "deploymentGroupName": GROUP,
            "revision": {
                "revisionType": "AppSpecContent",
                "appSpecContent": {
                    "content": content,
                    "sha256": hashlib.sha256(content.encode()).hexdigest(),
                },
            },
            "description": ANY,
        },
    )
    said = release.start(codedeploy, functions, TARGET)
    assert said == "deployment d-ABCD12345 shifts alias live from version 11 to 12"
    # The AppSpec names the function, the alias, where it points and where it goes.
    (resource,) = json.loads(content)["Resources"]
    assert resource[release.RESOURCE] == {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Name": NAME,
            "Alias": ALIAS,
            "CurrentVersion": "11",
            "TargetVersion": "12",
        },
    }


def test_nothing_is_started_when_the_alias_is_already_on_the_version(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, _, functions, fn_stub = release_clients
    alias_on(fn_stub, "12")
    assert "already points at version 12" in release.start(codedeploy, functions, TARGET)


def test_a_shift_under_way_is_left_to_finish(
    release_clients: tuple[Any, Stubber, Any, Stubber],
) -> None:
    codedeploy, cd_stub, functions, fn_stub = release_clients
    alias_on(fn_stub, "11", {"12": 0.1})
    under_way(cd_stub, ["d-ABCD12345"])
    cd_stub.add_response(
        "get_deployment",
        {
            "deploymentInfo": {
                "deploymentId": "d-ABCD12345",
                "status": "InProgress",
                "revision": {
                    "revisionType": "AppSpecContent",
                    "appSpecContent": {"content": appspec(TARGET, "11")},
                },
            }
        },
        {"deploymentId": "d-ABCD12345"},
    )
    said = release.start(codedeploy, functions, TARGET)
    assert said.startswith("deployment d-ABCD12345 is InProgress (to version 12)")


def test_the_target_is_read_back_from_a_deployments_appspec() -> None:
    info = {"revision": {"appSpecContent": {"content": appspec(TARGET, "11")}}}
    assert target_version(info) == "12"
    assert target_version({"revision": {"revisionType": "S3"}}) is None
    assert target_version({"revision": {"appSpecContent": {"content": "not json"}}}) is None


def test_the_command_is_one_line_and_fails_on_aws_errors(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    functions = boto3.client("lambda", region_name="eu-west-1")
    codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
    with Stubber(functions) as fn_stub:
        fn_stub.add_client_error("get_alias", "AccessDeniedException", "not allowed")
        clients = {"lambda": functions, "codedeploy": codedeploy}
        monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
        written = tmp_path / "outputs.json"
        written.write_text(
            json.dumps({outputs.FUNCTION_ARN: FUNCTION, outputs.FUNCTION_VERSION: "12"})
        )
        assert release.main([str(written)]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("FAIL  ClientError") and "AccessDeniedException" in line
