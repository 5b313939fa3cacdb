"""After `pulumi up`: is what runs what was just deployed, and does the API work?

    pulumi stack output --json > outputs.json
    python -m deploy.check outputs.json

The provider reports success even when ECS rolled the deployment back (the service is steady,
on the old revision), so this reads what actually runs:

0. the release is whole: with ``--image``, the primary service runs that image (a canary that
   deploy/canary.py rolled back leaves it on the old one, never a success), and no canary
   holds a share of the traffic;
1. the ECS service's newest service deployment (ListServiceDeployments,
   DescribeServiceDeployments), followed through its phases (in progress, each lifecycle stage
   and traffic share of a canary, linear or blue/green shift, baking) until it succeeds; a
   rollback or a stop fails the check. Then the service's only deployment is on the task
   definition this `up` registered, its rollout COMPLETED, all its tasks running;
2. the function's alias: CodeDeploy's shift of it to the version this `up` published
   (deploy/release.py starts it), followed until it succeeds; a stop or a rollback fails the
   check, and the alias must then point at that version alone;
3. the README walkthrough against the stack's URL, through the API's own client (``client/``):
   put (with an Idempotency-Key, so the client's retry of it is safe), get, list, delete, then
   404 twice; a call is sent again only where that is safe, after no answer or a 503.
   With auth on (the stack exports ``authIssuer``), a call without a token must get the load
   balancer's 401, and the walkthrough runs with a token of the OAuth client-credentials flow:
   ``PICUS_CHECK_TOKEN_URL``, ``PICUS_CHECK_CLIENT_ID``, ``PICUS_CHECK_CLIENT_SECRET`` and
   optionally ``PICUS_CHECK_SCOPES`` (default: read, write and delete).

It opens https URLs only: the stack's ``apiUrl`` may be plain http only for a stack without
a certificate (it exports ``https`` false), the token endpoint (which receives the client
secret) never; it follows no redirect. Every item the walkthrough writes carries a
``deploy_check`` field naming this run, and is deleted whichever step fails.

Each phase is printed as it changes, so a deployer watching CI sees the canary's slice, the
bake and a rollback as they happen. Patience is bounded: what each deployment's own
configuration asks for (bake times, canary and linear steps) plus a margin.

Exits 0 when all hold, 1 with one line per failure otherwise; a network error or timeout is
such a line too, never a traceback.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.client
import json
import math
import os
import socket
import ssl
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from botocore.exceptions import BotoCoreError, ClientError

from client import ApiError, NotFound, PicusClient, PicusError, RetryPolicy
from client.errors import Unreachable as NoAnswer
from components import outputs, release_budget, release_outputs
from components.delete_function import ALIAS
from components.function_release import shift_minutes
from deploy.release import (
    CodeDeployClient,
    Release,
    alias_versions,
    latest_for,
    settled_on,
)
from picus.auth import ScopePolicy
from picus.contract import HEALTH_PATH, LIST_PATH, PAYLOAD

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_lambda import LambdaClient

#: ECS may still be rolling back, or finishing, when `up` returns: how long to watch, beyond the
#: bake times the deployment's configuration adds.
ROLLOUT_PATIENCE_S = 60.0 * release_budget.AWAIT_MINUTES
#: Beyond the deployment config's shift: CodeDeploy's own start, the last step, the clean-up.
SHIFT_MARGIN_S = 60.0 * release_budget.SHIFT_MARGIN_MINUTES
#: How often a deployment in progress is read again.
POLL_S = 10.0
#: A new load balancer's DNS name takes a little while to resolve everywhere.
HTTP_PATIENCE_S = 60.0 * release_budget.WALKTHROUGH_MINUTES
#: One HTTP call, connection included.
CALL_TIMEOUT_S = 15.0
#: The walkthrough's calls are sent again, when that is safe, to ride out a moment's 503, a
#: throttle or a dropped connection; patience beyond that is the health wait's.
CALL_RETRIES = RetryPolicy(attempts=3, backoff_s=0.5, max_backoff_s=2.0, max_retry_after_s=10.0)
#: The payload field of every item the walkthrough writes: which check wrote it, in which run.
#: An item a failed clean-up leaves behind, in a production table too, is found by it.
MARKER = "deploy_check"


T = TypeVar("T")


class CheckFailed(Exception):
    """What runs is not what was deployed, or the API does not work."""


class Unreachable(CheckFailed):
    """A call got no answer: DNS, connection, TLS, a dropped connection or a timeout."""


@dataclass(frozen=True)
class Deployed:
    api_url: str
    cluster: str
    service: str
    task_definition_arn: str
    function_arn: str
    function_version: str
    https: bool
    auth_issuer: str | None = None
    #: What the last `up` left of a canary release (deploy/canary.py): none after a release.
    canary_image_uri: str = ""
    canary_weight: int = 0
    #: The image the primary service runs.
    image_uri: str = ""

    @property
    def plain_http(self) -> bool:
        """Whether this stack may serve plain http: only without a certificate, as the stack
        itself says. An https apiUrl is then still opened; an http one beside ``https`` true
        is outputs that contradict themselves, and fails."""
        return not self.https

    @classmethod
    def from_outputs(cls, values: dict[str, Any]) -> Deployed:
        """The stack's outputs, or CheckFailed naming each one missing or of the wrong type."""
        required = (
            outputs.API_URL,
            outputs.CLUSTER_NAME,
            outputs.SERVICE_NAME,
            outputs.TASK_DEFINITION_ARN,
            outputs.FUNCTION_ARN,
            outputs.FUNCTION_VERSION,
            outputs.HTTPS,
        )
        missing = [name for name in required if values.get(name) in (None, "")]
        if missing:
            raise CheckFailed(
                f"the stack's outputs lack {', '.join(missing)}: is this the output of "
                "`pulumi stack output --json` after an `up` of this commit?"
            )
        https = values[outputs.HTTPS]
        # Never guessed: a wrong guess either opens plain http or fails a stack that is fine.
        if not isinstance(https, bool):
            raise CheckFailed(f"the stack's output {outputs.HTTPS} is {https!r}, not true or false")
        return cls(
            api_url=str(values[outputs.API_URL]).rstrip("/"),
            cluster=str(values[outputs.CLUSTER_NAME]),
            service=str(values[outputs.SERVICE_NAME]),
            task_definition_arn=str(values[outputs.TASK_DEFINITION_ARN]),
            function_arn=str(values[outputs.FUNCTION_ARN]),
            function_version=str(values[outputs.FUNCTION_VERSION]),
            https=https,
            auth_issuer=values.get(outputs.AUTH_ISSUER) or None,
            image_uri=str(values.get(outputs.IMAGE_URI) or ""),
            canary_image_uri=str(values.get(release_outputs.CANARY_IMAGE_URI) or ""),
            canary_weight=int(values.get(release_outputs.CANARY_WEIGHT) or 0),
        )


#: ECS's service-deployment statuses, by what they mean for the check.
SERVICE_SUCCEEDED = frozenset({"SUCCESSFUL"})
SERVICE_ROLLED_BACK = frozenset(
    {"ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}
)
SERVICE_STOPPED = frozenset({"STOPPED", "STOP_REQUESTED"})


def service_patience_s(configuration: Any, base_s: float = ROLLOUT_PATIENCE_S) -> float:
    """How long a service deployment may take: ``base_s`` plus the bake times its own
    configuration asks for (the final bake, a canary's, or every linear step's)."""
    minutes = configuration.get("bakeTimeInMinutes") or 0
    strategy = configuration.get("strategy", "ROLLING")
    if strategy == "CANARY":
        minutes += configuration.get("canaryConfiguration", {}).get("canaryBakeTimeInMinutes", 0)
    elif strategy == "LINEAR":
        linear = configuration.get("linearConfiguration", {})
        steps = math.ceil(100 / linear["stepPercent"]) if linear.get("stepPercent") else 1
        minutes += steps * linear.get("stepBakeTimeInMinutes", 0)
    return base_s + 60 * minutes


def _service_phase(deployment: Any) -> str:
    """What a deployer needs of one reading: strategy, status, stage, the new revision's share."""
    strategy = deployment.get("deploymentConfiguration", {}).get("strategy", "ROLLING")
    parts = [f"{strategy.lower()} deployment {deployment.get('status')}"]
    stage = deployment.get("lifecycleStage")
    if stage:
        parts.append("baking" if stage == "BAKE_TIME" else stage.lower().replace("_", " "))
    weight = deployment.get("targetServiceRevision", {}).get("requestedProductionTrafficWeight")
    if weight is not None and strategy != "ROLLING":
        parts.append(f"{weight:g} % of production traffic on the new revision")
    return ", ".join(parts)


def _why_rolled_back(deployment: Any) -> str:
    reasons = [deployment.get("rollback", {}).get("reason") or deployment.get("statusReason")]
    triggered = deployment.get("alarms", {}).get("triggeredAlarmNames")
    if triggered:
        reasons.append(f"alarms {', '.join(triggered)}")
    if deployment.get("deploymentCircuitBreaker", {}).get("status") == "TRIGGERED":
        reasons.append("the circuit breaker")
    return "; ".join(r for r in reasons if r) or "no reason given"


def follow_service_deployment(
    ecs: ECSClient,
    deployed: Deployed,
    patience_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] = print,
    watch: Callable[[], None] = lambda: None,
) -> None:
    """Follows the service's newest service deployment until it succeeds; CheckFailed on a
    rollback, a stop, patience (by default, what its configuration asks for) run out, or from
    ``watch``, which runs at each poll."""
    listed = ecs.list_service_deployments(cluster=deployed.cluster, service=deployed.service)
    if not listed.get("serviceDeployments"):
        return  # none recorded: the service's own deployments say the rest
    newest = max(listed["serviceDeployments"], key=lambda d: d.get("createdAt") or 0)
    arn = newest["serviceDeploymentArn"]
    start, last = time.monotonic(), ""
    while True:
        (deployment,) = ecs.describe_service_deployments(serviceDeploymentArns=[arn])[
            "serviceDeployments"
        ]
        phase = _service_phase(deployment)
        if phase != last:
            progress(f"..    ECS: {deployed.service}: {phase}")
            last = phase
        status = deployment.get("status")
        if status in SERVICE_SUCCEEDED:
            return
        if status in SERVICE_ROLLED_BACK:
            raise CheckFailed(
                f"ECS rolled the deployment of {deployed.service} back ({status}): "
                f"{_why_rolled_back(deployment)}"
            )
        if status in SERVICE_STOPPED:
            raise CheckFailed(
                f"the deployment of {deployed.service} was stopped ({status}): "
                f"{deployment.get('statusReason', 'no reason given')}"
            )
        allowed = (
            patience_s
            if patience_s is not None
            else service_patience_s(deployment.get("deploymentConfiguration", {}))
        )
        watch()
        if time.monotonic() - start > allowed:
            raise CheckFailed(
                f"the deployment of {deployed.service} has not finished after {allowed:.0f} s: "
                f"{phase}"
            )
        sleep(POLL_S)


def check_rollout(
    ecs: ECSClient,
    deployed: Deployed,
    patience_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] = print,
    watch: Callable[[], None] = lambda: None,
) -> str:
    follow_service_deployment(ecs, deployed, patience_s, sleep, progress, watch)
    patience_s = ROLLOUT_PATIENCE_S if patience_s is None else patience_s
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
        watch()
        if time.monotonic() > deadline:
            raise CheckFailed(
                f"service {deployed.service} did not settle on {deployed.task_definition_arn} "
                f"within {patience_s:.0f} s: rollout {state}, {running}/{desired} running, "
                f"{len(deployments)} deployment(s)"
            )
        sleep(POLL_S)


def _revision(deployment: Any) -> str:
    return str(deployment.get("taskDefinition", "")).rsplit("/", 1)[-1]


def check_alias(functions: LambdaClient, deployed: Deployed) -> str:
    """The alias sends all the traffic to the version this `up` published."""
    return _on_the_new_version(
        dict(functions.get_alias(FunctionName=deployed.function_arn, Name=ALIAS)), deployed
    )


def _on_the_new_version(alias: dict[str, Any], deployed: Deployed) -> str:
    if settled_on(alias) != deployed.function_version:
        raise CheckFailed(
            f"alias {ALIAS} sends {_shares(alias)}, not all to the "
            f"{deployed.function_version} this update published"
        )
    return f"Lambda: alias {ALIAS} -> version {deployed.function_version}"


def _shares(alias: dict[str, Any]) -> str:
    return " and ".join(
        f"{share:.0%} to version {version}" for version, share in alias_versions(alias).items()
    )


#: CodeDeploy's deployment statuses that end a deployment short of success.
SHIFT_ENDED_SHORT = frozenset({"Failed", "Stopped"})


def check_function_release(
    codedeploy: CodeDeployClient,
    functions: LambdaClient,
    deployed: Deployed,
    patience_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] = print,
) -> str:
    """Follows CodeDeploy's shift of the alias to the version this `up` published; then the
    alias must send it all the traffic. A stop or a rollback is a failure, whatever the alias
    says."""
    release = Release(deployed.function_arn.split(":")[6], deployed.function_version)
    alias = dict(functions.get_alias(FunctionName=deployed.function_arn, Name=ALIAS))
    if settled_on(alias) == release.target_version:
        return _on_the_new_version(alias, deployed)
    info = latest_for(codedeploy, release)
    if info is None:
        raise CheckFailed(
            f"alias {ALIAS} sends {_shares(alias)}, and no CodeDeploy deployment shifts it to "
            f"version {release.target_version}: did the release (python3 dev.py deploy) start "
            "the shift after the up?"
        )
    deployment_id = str(info["deploymentId"])
    if patience_s is None:
        config = codedeploy.get_deployment_config(
            deploymentConfigName=str(info["deploymentConfigName"])
        )["deploymentConfigInfo"]
        patience_s = 60 * shift_minutes(config.get("trafficRoutingConfig", {})) + SHIFT_MARGIN_S
    start, last = time.monotonic(), ""
    while True:
        status = info.get("status")
        phase = f"{status}, alias {ALIAS} sends {_shares(alias)}"
        if phase != last:
            progress(f"..    Lambda: CodeDeploy {deployment_id}: {phase}")
            last = phase
        if status == "Succeeded":
            return _on_the_new_version(alias, deployed) + f" (CodeDeploy {deployment_id})"
        if status in SHIFT_ENDED_SHORT:
            error = info.get("errorInformation", {})
            rollback = info.get("rollbackInfo", {}).get("rollbackMessage")
            raise CheckFailed(
                f"CodeDeploy {deployment_id} {status} the shift to version "
                f"{release.target_version}: {error.get('code', '')} {error.get('message', '')}"
                f"{f'; {rollback}' if rollback else ''}; alias {ALIAS} sends {_shares(alias)}"
            )
        if time.monotonic() - start > patience_s:
            raise CheckFailed(
                f"CodeDeploy {deployment_id} is still {status} after {patience_s:.0f} s: alias "
                f"{ALIAS} sends {_shares(alias)}"
            )
        sleep(POLL_S)
        info = dict(codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"])
        alias = dict(functions.get_alias(FunctionName=deployed.function_arn, Name=ALIAS))


def require_url(url: str, what: str, *, plain_http: bool = False) -> str:
    """``url``, if the check may open it: https, or http where ``plain_http`` allows it;
    never ``file:``, ``ftp:``, ``data:`` or anything else urllib would open."""
    schemes = ("https", "http") if plain_http else ("https",)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise CheckFailed(f"{what} must be an {' or '.join(schemes)} URL, not {url!r}")
    return url


def _opener() -> urllib.request.OpenerDirector:
    # Only http(s), and no redirect handler: a 3xx is an answer the check judges, never a URL
    # opened unchecked (urllib would send it the Authorization header, even on plain http).
    # No HTTPError either: every status is an answer.
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _open(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with _opener().open(request, timeout=CALL_TIMEOUT_S) as response:
            return int(response.status), response.read()
    except (OSError, http.client.HTTPException) as error:
        why = str(error) or type(error).__name__
        raise Unreachable(f"{request.get_method()} {request.full_url}: {why}") from None


def client_credentials_token(token_url: str, client_id: str, secret: str, scopes: str) -> str:
    """An access token by OAuth 2.0's client-credentials grant (RFC 6749, 4.4)."""
    require_url(token_url, "PICUS_CHECK_TOKEN_URL")  # it receives the client secret
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "scope": scopes})
    request = urllib.request.Request(token_url, data=form.encode(), method="POST")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request.add_header("Authorization", f"Basic {basic}")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        status, raw = _open(request)
        answer = json.loads(raw) if status == 200 else None
    except (CheckFailed, ValueError) as error:
        raise CheckFailed(f"no token from {token_url}: {error}") from None
    if answer is None:
        raise CheckFailed(f"no token from {token_url}: it answered {status}")
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise CheckFailed(f"{token_url} answered no access_token")
    return token


def this_run(env: Mapping[str, str] = os.environ) -> str:
    """The run that writes the walkthrough's items: its GitHub Actions URL, or host and pid."""
    if env.get("GITHUB_RUN_ID"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return (
            f"{server}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{env['GITHUB_RUN_ID']}"
            f"/attempts/{env.get('GITHUB_RUN_ATTEMPT', '1')}"
        )
    return f"{socket.gethostname()} pid {os.getpid()}"


def _api(
    api_url: str,
    token: str | None,
    headers: Mapping[str, str] | None,
    transport: httpx.BaseTransport | None = None,
) -> PicusClient:
    # The system's trust store, as the token endpoint's calls use (SSL_CERT_FILE included),
    # rather than httpx's own bundle: a deployer's CA is trusted the same for both.
    return PicusClient(
        api_url,
        token=None if token is None else lambda: token,
        retries=CALL_RETRIES,
        timeout=CALL_TIMEOUT_S,
        headers=headers,
        verify=ssl.create_default_context(),
        transport=transport,
    )


def _failure(what: str, expected: int, error: PicusError) -> CheckFailed:
    if isinstance(error, ApiError):
        return CheckFailed(f"{what}: expected {expected}, got {error}")
    # No answer, or one the API's document does not describe.
    return CheckFailed(f"{what}: {error}")


def _step(what: str, expected: int, action: Callable[[], T]) -> T:
    """One call of the walkthrough; whatever goes wrong, a CheckFailed naming the step."""
    try:
        return action()
    except PicusError as error:
        raise _failure(what, expected, error) from None


def _gone(what: str, action: Callable[[], object]) -> None:
    """The call must answer 404 not_found (a 404 no_such_route is a routing fault, not this)."""
    try:
        action()
    except NotFound:
        return
    except PicusError as error:
        raise CheckFailed(f"{what}: expected 404, got {error}") from None
    raise CheckFailed(f"{what}: expected 404, got 200")


def _clean_up(api: PicusClient, key: str, run: str) -> str:
    """Deletes the walkthrough's item; says what became of it, and never raises."""
    try:
        api.delete(key)
    except NotFound:
        pass
    except PicusError as error:
        return f"item {key} left in the table ({error}): its {PAYLOAD}.{MARKER}.run is {run!r}"
    return f"item {key} deleted"


def _wait_for_health(
    api: PicusClient, api_url: str, patience_s: float, sleep: Callable[[float], None]
) -> None:
    deadline = time.monotonic() + patience_s
    while True:
        try:
            health = api.request("GET", HEALTH_PATH)
            if health.status_code == 200:
                return
            seen = f"{health.status_code} {health.text[:200]}"
        except PicusError as error:  # DNS not there yet, connection refused, TLS not ready
            seen = str(error)
        if time.monotonic() > deadline:
            raise CheckFailed(f"{api_url}{HEALTH_PATH} never answered 200: {seen}")
        sleep(5)


def check_walkthrough(
    api_url: str,
    patience_s: float = HTTP_PATIENCE_S,
    sleep: Callable[[float], None] = time.sleep,
    token: str | None = None,
    *,
    plain_http: bool = False,
    run: str | None = None,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str:
    """The README's walkthrough, through the API's client (``client/``); ``plain_http`` for a
    stack without a certificate (never with a token: a bearer token does not travel in clear).
    ``headers`` go with every call: the release header sends all of them to the canary alone
    (deploy/canary.py). ``transport``: where the calls go instead of ``api_url``'s address (one
    region's load balancer, deploy/alb_route.py)."""
    require_url(api_url, "the stack's apiUrl", plain_http=plain_http and token is None)
    run = run or this_run()
    with (
        _api(api_url, token, headers, transport) as api,
        _api(api_url, None, headers, transport) as anonymous,
    ):
        _wait_for_health(anonymous, api_url, patience_s, sleep)
        if token is not None:
            refused = _step(
                "list without a token",
                401,
                lambda: anonymous.request("GET", LIST_PATH, params={"limit": "1"}),
            )
            if refused.status_code != 401:
                raise CheckFailed(
                    f"a call without a token got {refused.status_code}, not the ALB's 401"
                )
        sent = {MARKER: {"run": run, "at": time.time_ns()}, "nested": {"n": 0.1, "ok": True}}
        try:
            # With an Idempotency-Key (the client's own): a retry after no answer or a 503 is
            # answered with the first attempt's item, never a second one.
            key = api.put(sent).object_id
        except NoAnswer as error:
            # The item may have been written before the connection failed: its key is unknown.
            written = f"an item it wrote has {PAYLOAD}.{MARKER}.run {run!r}"
            raise CheckFailed(f"put: {error} ({written})") from None
        except PicusError as error:
            raise _failure("put", 201, error) from None
        try:
            got = _step("get", 200, lambda: api.get(key))
            if got.payload != sent:
                raise CheckFailed(f"get returned {got.payload}, not what was put: {sent}")
            if got.etag is None:
                raise CheckFailed("get returned no ETag: a replace could not name the version")
            # The replace's own listener rule, and the conditional writes of both runtimes: a
            # replace and a delete each naming the version they change.
            changed = {**sent, "nested": {"n": 0.2, "ok": True}}
            replaced = _step(
                "replace", 200, lambda: api.replace(key, changed, if_match=str(got.etag))
            )
            if replaced.payload != changed or replaced.etag in (None, got.etag):
                raise CheckFailed(f"replace answered {replaced}, not {changed} at a new ETag")
            # The first page only: a production table is never walked.
            _step("list", 200, lambda: next(api.iter_items(limit=1), None))
            deleted = _step("delete", 200, lambda: api.delete(key, if_match=replaced.etag))
            if deleted != key:
                raise CheckFailed(f"delete answered {deleted}")
        except CheckFailed as failure:  # leave nothing behind, whatever failed
            raise CheckFailed(f"{failure}; {_clean_up(api, key, run)}") from None
        except Exception:
            _clean_up(api, key, run)
            raise
        _gone("get after delete", lambda: api.get(key))
        _gone("delete after delete", lambda: api.delete(key))
    with_token = " with a token (401 without)" if token is not None else ""
    through = f" through {', '.join(headers)}" if headers else ""
    return f"API: put, get, replace, list, delete and 404s on {api_url}{with_token}{through}"


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


def walkthrough(deployed: Deployed) -> str:
    # The stack's URL first: a secret goes to the token endpoint only for a stack it may call.
    require_url(deployed.api_url, "the stack's apiUrl", plain_http=deployed.plain_http)
    token = stack_token(deployed)
    return check_walkthrough(
        deployed.api_url, HTTP_PATIENCE_S, token=token, plain_http=deployed.plain_http
    )


def check_release(deployed: Deployed, image_uri: str | None) -> str:
    """The release is whole: the primary runs ``image_uri`` (the image this job released, when
    given) and no canary holds a share. A canary rolled back leaves the primary on the old
    image, so it never passes for a release."""
    if deployed.canary_weight or deployed.canary_image_uri:
        raise CheckFailed(
            f"a canary ({deployed.canary_image_uri or 'no image'}) still holds "
            f"{deployed.canary_weight} % of the traffic: the release did not finish; rerun the "
            "deploy, which rolls it back first"
        )
    if image_uri and deployed.image_uri != image_uri:
        raise CheckFailed(
            f"the service runs {deployed.image_uri or 'its own build'}, not {image_uri}: the "
            "release was rolled back"
        )
    return f"release: the service runs {deployed.image_uri or 'its own build'}, no canary"


def run(
    deployed: Deployed,
    ecs: ECSClient,
    functions: LambdaClient,
    codedeploy: CodeDeployClient,
    progress: Callable[[str], None] | None = None,
    image_uri: str | None = None,
) -> list[str]:
    """Every check, each reported; failures collected rather than stopping at the first.
    Phases of a deployment in progress go to ``progress`` (stdout) as they change."""
    progress = progress or functools.partial(print, flush=True)
    report, failures = [], []
    checks: list[Callable[[], str]] = [
        lambda: check_release(deployed, image_uri),
        lambda: check_rollout(ecs, deployed, progress=progress),
        lambda: check_function_release(codedeploy, functions, deployed, progress=progress),
        lambda: walkthrough(deployed),
    ]
    for check in checks:
        try:
            report.append(f"ok    {check()}")
        except CheckFailed as failure:
            failures.append(f"FAIL  {failure}")
        except (BotoCoreError, ClientError) as failure:  # AWS unreachable, no credentials, ...
            failures.append(f"FAIL  {type(failure).__name__}: {failure}")
    return report + failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.check", description=__doc__)
    parser.add_argument("outputs", help="the JSON of `pulumi stack output --json`")
    parser.add_argument("--image", help="the image this deploy released (deploy/canary.py)")
    args = parser.parse_args(argv)
    with open(args.outputs) as file:
        values = json.load(file)
    try:
        deployed = Deployed.from_outputs(values if isinstance(values, dict) else {})
    except CheckFailed as failure:
        print(f"FAIL  {failure}")
        return 1

    import boto3

    clients = (boto3.client("ecs"), boto3.client("lambda"), boto3.client("codedeploy"))
    lines = run(deployed, *clients, image_uri=args.image)
    print("\n".join(lines))
    return 1 if any(line.startswith("FAIL") for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
