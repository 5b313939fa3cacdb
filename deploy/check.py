"""After `pulumi up`: is what runs what was just deployed, and does the API work?

    pulumi stack output --json > outputs.json
    python -m deploy.check outputs.json

The provider reports success even when ECS's circuit breaker rolled the deployment back (the
service is steady, on the old revision), so this reads what actually runs:

1. the ECS service's only deployment is on the task definition this `up` registered, its
   rollout COMPLETED, all its tasks running;
2. the function's alias points at the version this `up` published;
3. the README walkthrough against the stack's URL: put, get, list, delete, then 404 twice.
   With auth on (the stack exports ``authIssuer``), a call without a token must get the load
   balancer's 401, and the walkthrough runs with a token of the OAuth client-credentials flow:
   ``PICUS_CHECK_TOKEN_URL``, ``PICUS_CHECK_CLIENT_ID``, ``PICUS_CHECK_CLIENT_SECRET`` and
   optionally ``PICUS_CHECK_SCOPES`` (default: read, write and delete).

Exits 0 when all hold, 1 with one line per failure otherwise.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from components import outputs
from components.delete_function import ALIAS
from picus.auth import ScopePolicy
from picus.contract import ITEM_PATH_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_lambda import LambdaClient

#: ECS may still be rolling back, or finishing, when `up` returns: how long to watch.
ROLLOUT_PATIENCE_S = 600.0
#: A new load balancer's DNS name takes a little while to resolve everywhere.
HTTP_PATIENCE_S = 120.0


class CheckFailed(Exception):
    """What runs is not what was deployed, or the API does not work."""


@dataclass(frozen=True)
class Deployed:
    api_url: str
    cluster: str
    service: str
    task_definition_arn: str
    function_arn: str
    function_version: str
    auth_issuer: str | None = None

    @classmethod
    def from_outputs(cls, values: dict[str, Any]) -> Deployed:
        return cls(
            api_url=str(values[outputs.API_URL]).rstrip("/"),
            cluster=str(values[outputs.CLUSTER_NAME]),
            service=str(values[outputs.SERVICE_NAME]),
            task_definition_arn=str(values[outputs.TASK_DEFINITION_ARN]),
            function_arn=str(values[outputs.FUNCTION_ARN]),
            function_version=str(values[outputs.FUNCTION_VERSION]),
            auth_issuer=values.get(outputs.AUTH_ISSUER) or None,
        )


def check_rollout(
    ecs: ECSClient,
    deployed: Deployed,
    patience_s: float = ROLLOUT_PATIENCE_S,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    deadline = time.monotonic() + patience_s
    while True:
        (service,) = ecs.describe_services(cluster=deployed.cluster, services=[deployed.service])[
            "services"
        ]
        deployments = service.get("deployments", [])
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        if primary is None:
            raise CheckFailed(f"service {deployed.service} has no primary deployment")
        state = primary.get("rolloutState")
        if primary.get("taskDefinition") != deployed.task_definition_arn:
            raise CheckFailed(
                f"service {deployed.service} runs {primary.get('taskDefinition')}, not "
                f"{deployed.task_definition_arn}: ECS rolled the deployment back "
                f"({primary.get('rolloutStateReason', 'no reason given')})"
            )
        if state == "FAILED":
            raise CheckFailed(
                f"the deployment of {deployed.task_definition_arn} failed: "
                f"{primary.get('rolloutStateReason', 'no reason given')}"
            )
        running, desired = primary.get("runningCount", 0), primary.get("desiredCount", 0)
        if state == "COMPLETED" and len(deployments) == 1 and running == desired > 0:
            return f"ECS: {deployed.service} runs {desired} task(s) of {_revision(primary)}"
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"service {deployed.service} did not settle on {deployed.task_definition_arn} "
                f"within {patience_s:.0f} s: rollout {state}, {running}/{desired} running, "
                f"{len(deployments)} deployment(s)"
            )
        sleep(10)


def _revision(deployment: Any) -> str:
    return str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1]


def check_alias(functions: LambdaClient, deployed: Deployed) -> str:
    alias = functions.get_alias(FunctionName=deployed.function_arn, Name=ALIAS)
    if alias["FunctionVersion"] != deployed.function_version:
        raise CheckFailed(
            f"alias {ALIAS} points at version {alias['FunctionVersion']}, not the "
            f"{deployed.function_version} this update published"
        )
    return f"Lambda: alias {ALIAS} -> version {deployed.function_version}"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


def _call(
    method: str, url: str, body: Any = None, timeout_s: float = 15.0, token: str | None = None
) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return Answer(status, json.loads(raw) if raw else None)
    except ValueError:
        return Answer(status, raw[:200].decode(errors="replace"))


def _expect(answer: Answer, status: int, what: str) -> Any:
    if answer.status != status:
        raise CheckFailed(f"{what}: expected {status}, got {answer.status} {answer.body}")
    return answer.body


def client_credentials_token(token_url: str, client_id: str, secret: str, scopes: str) -> str:
    """An access token by OAuth 2.0's client-credentials grant (RFC 6749, 4.4)."""
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scopes})
    request = urllib.request.Request(token_url, data=form.encode(), method="POST")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request.add_header("Authorization", f"Basic {basic}")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            answer = json.loads(response.read())
    except (OSError, ValueError) as error:
        raise CheckFailed(f"no token from {token_url}: {error}") from None
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise CheckFailed(f"{token_url} answered no access_token")
    return token


def check_walkthrough(
    api_url: str,
    patience_s: float = HTTP_PATIENCE_S,
    sleep: Callable[[float], None] = time.sleep,
    token: str | None = None,
) -> str:
    items = f"{api_url}{ITEM_PATH_PREFIX}"
    call = functools.partial(_call, token=token)
    deadline = time.monotonic() + patience_s
    while True:
        try:
            health = _call("GET", f"{api_url}/health")
            if health.status == 200:
                break
        except OSError as error:  # DNS not there yet, connection refused, TLS not ready
            health = Answer(0, str(error))
        if time.monotonic() > deadline:
            raise CheckFailed(f"{api_url}/health never answered 200: {health}")
        sleep(5)

    if token is not None:
        refused = _call("GET", f"{items}list?limit=1")
        if refused.status != 401:
            raise CheckFailed(f"a call without a token got {refused.status}, not the ALB's 401")
    sent = {"check": "deploy", "at": time.time_ns(), "nested": {"n": 0.1, "ok": True}}
    created = _expect(call("POST", f"{items}put", sent), 201, "put")
    key = created["object_id"]
    try:
        got = _expect(call("GET", f"{items}get/{key}"), 200, "get")
        if got.get("payload") != sent:
            raise CheckFailed(f"get returned {got.get('payload')}, not what was put: {sent}")
        listed = _expect(call("GET", f"{items}list?limit=1"), 200, "list")
        if not isinstance(listed.get("items"), list) or "next_cursor" not in listed:
            raise CheckFailed(f"list answered an unexpected shape: {listed}")
        deleted = _expect(call("DELETE", f"{items}{key}"), 200, "delete")
        if deleted != {"deleted": key}:
            raise CheckFailed(f"delete answered {deleted}")
    except CheckFailed:
        call("DELETE", f"{items}{key}")  # leave nothing behind, whatever failed
        raise
    _expect(call("GET", f"{items}get/{key}"), 404, "get after delete")
    _expect(call("DELETE", f"{items}{key}"), 404, "delete after delete")
    with_token = " with a token (401 without)" if token is not None else ""
    return f"API: put, get, list, delete and 404s on {api_url}{with_token}"


#: What the check's client asks for when the stack has auth on.
DEFAULT_CHECK_SCOPES = " ".join(ScopePolicy().names.values())


def stack_token(deployed: Deployed, env: Mapping[str, str] = os.environ) -> str | None:
    """None for a public stack; else a token by the client-credentials flow."""
    if deployed.auth_issuer is None:
        return None
    names = ("PICUS_CHECK_TOKEN_URL", "PICUS_CHECK_CLIENT_ID", "PICUS_CHECK_CLIENT_SECRET")
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise CheckFailed(
            f"the stack has auth on ({deployed.auth_issuer}): set {', '.join(missing)} "
            "for the check's OAuth client"
        )
    url, client_id, secret = (env[name] for name in names)
    scopes = env.get("PICUS_CHECK_SCOPES") or DEFAULT_CHECK_SCOPES
    return client_credentials_token(url, client_id, secret, scopes)


def _walkthrough(deployed: Deployed) -> str:
    return check_walkthrough(deployed.api_url, HTTP_PATIENCE_S, token=stack_token(deployed))


def run(deployed: Deployed, ecs: ECSClient, functions: LambdaClient) -> list[str]:
    """Every check, each reported; failures collected rather than stopping at the first."""
    report, failures = [], []
    checks: list[Callable[[], str]] = [
        lambda: check_rollout(ecs, deployed, ROLLOUT_PATIENCE_S),
        lambda: check_alias(functions, deployed),
        lambda: _walkthrough(deployed),
    ]
    for check in checks:
        try:
            report.append(f"ok    {check()}")
        except CheckFailed as failure:
            failures.append(f"FAIL  {failure}")
    return report + failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.check", description=__doc__)
    parser.add_argument("outputs", help="the JSON of `pulumi stack output --json`")
    args = parser.parse_args(argv)
    with open(args.outputs) as file:
        deployed = Deployed.from_outputs(json.load(file))

    import boto3

    lines = run(deployed, boto3.client("ecs"), boto3.client("lambda"))
    print("\n".join(lines))
    return 1 if any(line.startswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
