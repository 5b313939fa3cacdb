"""The post-deploy checks: against ECS's and Lambda's own response shapes (botocore's Stubber
validates every request and response against the service models), and the walkthrough over
real HTTP against the local origin."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from components import outputs
from components.delete_function import ALIAS
from deploy import check
from deploy.check import CheckFailed, Deployed

if TYPE_CHECKING:
    from service.settings import Settings

REVISION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-service:7"
PREVIOUS = "arn:aws:ecs:eu-west-1:123456789012:task-definition/picus-dev-api-service:6"
FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:picus-dev-delete-fn-1a2b3c4"


def deployed(api_url: str = "http://127.0.0.1:9") -> Deployed:
    return Deployed.from_outputs(
        {
            outputs.API_URL: api_url,
            outputs.CLUSTER_NAME: "picus-dev-api-cluster",
            outputs.SERVICE_NAME: "picus-dev-api-service-1a2b3c4",
            outputs.TASK_DEFINITION_ARN: REVISION,
            outputs.FUNCTION_ARN: FUNCTION,
            outputs.FUNCTION_VERSION: "12",
        }
    )


def deployment(task: str, status: str, rollout: str, running: int = 2) -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{abs(hash((task, status))) % 10**18}",
        "status": status,
        "taskDefinition": task,
        "desiredCount": 2,
        "runningCount": running,
        "rolloutState": rollout,
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
    }


@pytest.fixture
def ecs() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("ecs", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def answer(stubber: Stubber, *deployments: dict[str, Any]) -> None:
    target = deployed()
    stubber.add_response(
        "describe_services",
        {"services": [{"serviceName": target.service, "deployments": list(deployments)}]},
        {"cluster": target.cluster, "services": [target.service]},
    )


def test_a_completed_rollout_on_the_new_revision_passes(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    answer(stubber, deployment(REVISION, "PRIMARY", "COMPLETED"))
    assert "picus-dev-api-service:7" in check.check_rollout(client, deployed())


def test_a_rollback_is_a_failure_even_though_the_service_is_steady(
    ecs: tuple[Any, Stubber],
) -> None:
    # What the provider reports as success: the circuit breaker put the old revision back.
    client, stubber = ecs
    answer(stubber, deployment(PREVIOUS, "PRIMARY", "COMPLETED"))
    with pytest.raises(CheckFailed, match="rolled the deployment back"):
        check.check_rollout(client, deployed())


def test_a_failed_rollout_is_a_failure(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    answer(
        stubber,
        deployment(REVISION, "PRIMARY", "FAILED", running=0),
        deployment(PREVIOUS, "ACTIVE", "COMPLETED"),
    )
    with pytest.raises(CheckFailed, match="circuit breaker"):
        check.check_rollout(client, deployed())


def test_a_rollout_in_progress_is_watched_until_it_completes(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    answer(
        stubber,
        deployment(REVISION, "PRIMARY", "IN_PROGRESS", running=1),
        deployment(PREVIOUS, "ACTIVE", "COMPLETED"),
    )
    answer(stubber, deployment(REVISION, "PRIMARY", "COMPLETED"))
    waits: list[float] = []
    check.check_rollout(client, deployed(), sleep=waits.append)
    assert waits == [10]


def test_a_rollout_that_never_settles_fails_after_its_patience(ecs: tuple[Any, Stubber]) -> None:
    client, stubber = ecs
    answer(stubber, deployment(REVISION, "PRIMARY", "IN_PROGRESS", running=1))
    with pytest.raises(CheckFailed, match="did not settle"):
        check.check_rollout(client, deployed(), patience_s=0)


def alias_client(version: str) -> tuple[Any, Stubber]:
    client = boto3.client("lambda", region_name="eu-west-1")
    stubber = Stubber(client)
    stubber.add_response(
        "get_alias",
        {"AliasArn": f"{FUNCTION}:{ALIAS}", "Name": ALIAS, "FunctionVersion": version},
        {"FunctionName": FUNCTION, "Name": ALIAS},
    )
    stubber.activate()
    return client, stubber


def test_the_alias_must_point_at_the_version_just_published() -> None:
    client, _ = alias_client("12")
    assert "version 12" in check.check_alias(client, deployed())
    client, _ = alias_client("11")
    with pytest.raises(CheckFailed, match="not the 12"):
        check.check_alias(client, deployed())


@pytest.mark.ddb
def test_the_walkthrough_passes_on_the_local_origin(api_url: str) -> None:
    # The local origin routes exactly as the ALB does: the service and the DELETE function.
    assert "put, get, list, delete" in check.check_walkthrough(api_url, patience_s=0)


@pytest.mark.ddb
def test_the_walkthrough_fails_where_delete_is_not_routed_to_the_function(
    service_url: str,
) -> None:
    # The service alone does not serve DELETE: a listener without the rule looks like this.
    with pytest.raises(CheckFailed, match="delete: expected 200, got 404"):
        check.check_walkthrough(service_url, patience_s=0)


def test_the_walkthrough_fails_fast_when_nothing_answers() -> None:
    with pytest.raises(CheckFailed, match="never answered"):
        check.check_walkthrough("http://127.0.0.1:9", patience_s=0)


def test_the_command_reports_every_check_and_fails_on_any(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ecs_client = boto3.client("ecs", region_name="eu-west-1")
    with Stubber(ecs_client) as ecs_stub:
        answer(ecs_stub, deployment(PREVIOUS, "PRIMARY", "COMPLETED"))
        lambda_client, _ = alias_client("12")
        clients = {"ecs": ecs_client, "lambda": lambda_client}
        monkeypatch.setattr(boto3, "client", lambda name, **_: clients[name])
        monkeypatch.setattr(check, "HTTP_PATIENCE_S", 0)
        stack_outputs = tmp_path / "outputs.json"
        stack_outputs.write_text(
            json.dumps(
                {
                    outputs.API_URL: "http://127.0.0.1:9",
                    outputs.CLUSTER_NAME: "picus-dev-api-cluster",
                    outputs.SERVICE_NAME: "picus-dev-api-service-1a2b3c4",
                    outputs.TASK_DEFINITION_ARN: REVISION,
                    outputs.FUNCTION_ARN: FUNCTION,
                    outputs.FUNCTION_VERSION: "12",
                    outputs.TABLE_NAME: "picus_data-dev",
                }
            )
        )
        assert check.main([str(stack_outputs)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("ok    Lambda")
    assert [line.split()[0] for line in printed] == ["ok", "FAIL", "FAIL"]


class TokenEndpoint:
    """An OAuth token endpoint that grants the client-credentials flow to one client."""

    def __init__(self, issuer: Any, client_id: str, secret: str) -> None:
        self.issuer, self.client_id, self.secret = issuer, client_id, secret

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        form = {k: v[0] for k, v in urllib.parse.parse_qs((await request.body()).decode()).items()}
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}" or (
            form.get("grant_type") != "client_credentials"
        ):
            response = JSONResponse({"error": "invalid_client"}, status_code=401)
        else:
            scopes = str(form.get("scope", "")).split()
            token = self.issuer.mint(scopes, subject="deploy-check")
            response = JSONResponse({"access_token": token, "token_type": "Bearer"})
        await response(scope, receive, send)


def test_with_auth_on_the_walkthrough_takes_a_client_credentials_token(
    settings: Settings,
) -> None:
    from devkit.asgi import serving
    from local.auth import LocalIssuer
    from tests.auth_origin import auth_origin

    issuer = LocalIssuer("https://issuer.test")
    issuer.rotate(path=None)
    with (
        auth_origin(settings, issuer) as api,
        serving(TokenEndpoint(issuer, "checker", "s3cret")) as idp,
    ):
        stack = replace(deployed(api), auth_issuer=issuer.issuer)
        env = {
            "PICUS_CHECK_TOKEN_URL": f"{idp}/token",
            "PICUS_CHECK_CLIENT_ID": "checker",
            "PICUS_CHECK_CLIENT_SECRET": "s3cret",
        }
        token = check.stack_token(stack, env)
        assert token is not None
        report = check.check_walkthrough(api, patience_s=0, token=token)
        assert "with a token (401 without)" in report
        # The same stack without the client's settings fails the check, naming them.
        with pytest.raises(check.CheckFailed, match="PICUS_CHECK_CLIENT_SECRET"):
            check.stack_token(stack, {k: v for k, v in env.items() if "SECRET" not in k})
        with pytest.raises(check.CheckFailed, match="no token from"):
            check.stack_token(stack, {**env, "PICUS_CHECK_CLIENT_SECRET": "wrong"})
        # A token without the delete scope: the walkthrough's DELETE is refused.
        reader = issuer.mint(["picus:read", "picus:write"])
        with pytest.raises(check.CheckFailed, match="delete"):
            check.check_walkthrough(api, patience_s=0, token=reader)


def test_a_public_stack_needs_no_token() -> None:
    assert check.stack_token(deployed("http://x"), {}) is None
