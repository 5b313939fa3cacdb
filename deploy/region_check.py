"""deploy/check.py's checks for a stack of several regions: each region's with its own clients and
outputs, then the walkthrough against the domain.

For each region, in the release's order: the release is whole there (its primary runs the
image, no canary holds a share), its service's rollout, its function's alias shift (its own
ECS, Lambda and CodeDeploy), and the whole walkthrough against its load balancer, the domain
sent as Host and TLS server name (deploy/alb_route.py): the walkthrough is what proves a
region serves, and the certificate is checked for the domain as a client would. Then the
walkthrough against the domain itself, which Route 53 answers with the nearest healthy region:
the path a client takes. Each line names its region, or ``domain``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from components import outputs
from deploy import check, regions
from deploy.alb_route import AlbTransport
from deploy.check import CheckFailed, Deployed

if TYPE_CHECKING:
    from deploy.aws_clients import Aws


def walkthrough_in_region(deployed: Deployed, alb_dns_name: str) -> str:
    """The walkthrough on the domain's URL, each call sent to this region's load balancer."""
    check.require_url(deployed.api_url, "the stack's apiUrl", plain_http=deployed.plain_http)
    token = check.stack_token(deployed)
    text = check.check_walkthrough(
        deployed.api_url,
        token=token,
        plain_http=deployed.plain_http,
        transport=AlbTransport(alb_dns_name),
    )
    return f"{text} through its load balancer {alb_dns_name}"


def _report(label: str, checks: list[Callable[[], str]]) -> tuple[list[str], list[str]]:
    report, failures = [], []
    for run in checks:
        try:
            report.append(f"ok    {label}: {run()}")
        except CheckFailed as failure:
            failures.append(f"FAIL  {label}: {failure}")
        except (BotoCoreError, ClientError) as failure:
            failures.append(f"FAIL  {label}: {type(failure).__name__}: {failure}")
    return report, failures


def _region_checks(
    values: Mapping[str, Any], aws: Aws, progress: Callable[[str], None], image_uri: str | None
) -> list[Callable[[], str]]:
    deployed = Deployed.from_outputs(dict(values))
    alb = str(values.get(outputs.ALB_DNS_NAME) or "")
    return [
        lambda: check.check_release(deployed, image_uri),
        lambda: check.check_rollout(aws.ecs, deployed, progress=progress),
        lambda: check.check_function_release(
            aws.codedeploy, aws.functions, deployed, progress=progress
        ),
        lambda: walkthrough_in_region(deployed, alb),
    ]


def run(
    values: Mapping[str, Any],
    names: list[str],
    aws: Callable[[str], Aws],
    progress: Callable[[str], None],
    image_uri: str | None = None,
) -> list[str]:
    """Every region's checks, then the domain's walkthrough; failures collected, listed last."""
    report, failures = [], []
    for region in names:
        try:
            checks = _region_checks(regions.outputs_of(values, region), aws(region), progress,
                                    image_uri)  # fmt: skip
        except CheckFailed as failure:
            failures.append(f"FAIL  {region}: {failure}")
            continue
        done, failed = _report(region, checks)
        report += done
        failures += failed
    try:
        domain = Deployed.from_outputs(dict(values))
        done, failed = _report("domain", [lambda: check.walkthrough(domain)])
    except CheckFailed as failure:
        done, failed = [], [f"FAIL  domain: {failure}"]
    return report + done + failures + failed
