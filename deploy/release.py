"""After `pulumi up`: start CodeDeploy's shift of the DELETE function's alias to the version the
`up` published (components/function_release.py says why CodeDeploy, and why Pulumi leaves the
alias alone).

    pulumi stack output --json > outputs.json
    python -m deploy.release outputs.json

Nothing to start when the alias already points at that version alone (a first `up`, a rerun
after a release that completed) or when a deployment of the group is already under way (CodeDeploy
runs one at a time; the check follows it). Otherwise one CreateDeployment, whose AppSpec names the
alias, the version it points at and the target; the deployment group's config decides the pace
(all at once, canary or linear) and its alarms the rollback. ``deploy/check.py`` then follows it.

Exits 0 having started or found nothing to start, 1 with one FAIL line otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from components import outputs
from components.delete_function import ALIAS
from components.function_release import GROUP

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

#: CodeDeploy's statuses of a deployment that has not finished yet.
UNDER_WAY: Final = ("Created", "Queued", "InProgress", "Baking", "Ready")
#: The AppSpec's name for the one resource a Lambda deployment shifts.
RESOURCE: Final = "delete"


class CodeDeployClient(Protocol):
    """The calls made of boto3's CodeDeploy client (the locked stubs do not cover CodeDeploy)."""

    def list_deployments(self, **request: Any) -> Mapping[str, Any]: ...
    def get_deployment(self, *, deploymentId: str) -> Mapping[str, Any]: ...
    def get_deployment_config(self, *, deploymentConfigName: str) -> Mapping[str, Any]: ...
    def create_deployment(self, **request: Any) -> Mapping[str, Any]: ...


class ReleaseFailed(Exception):
    """The shift could not be started, or what it shifts cannot be read."""


@dataclass(frozen=True)
class Release:
    """Which alias of which function goes to which version, and the group that shifts it."""

    function_name: str
    target_version: str
    group: str = GROUP
    alias: str = ALIAS

    @property
    def application(self) -> str:
        # The function's CodeDeploy application carries its name (components/function_release.py).
        return self.function_name

    @classmethod
    def from_outputs(cls, values: dict[str, Any]) -> Release:
        arn, version = values.get(outputs.FUNCTION_ARN), values.get(outputs.FUNCTION_VERSION)
        if not isinstance(arn, str) or not arn.count(":") >= 6 or not version:
            raise ReleaseFailed(
                f"the stack's outputs lack {outputs.FUNCTION_ARN} or {outputs.FUNCTION_VERSION}"
            )
        return cls(function_name=arn.split(":")[6], target_version=str(version))


def appspec(release: Release, current_version: str) -> str:
    """The AppSpec of a Lambda deployment (docs.aws.amazon.com/codedeploy/latest/userguide/
    reference-appspec-file-structure-resources.html): the alias, where it points, where to."""
    return json.dumps(
        {
            "version": 0.0,
            "Resources": [
                {
                    RESOURCE: {
                        "Type": "AWS::Lambda::Function",
                        "Properties": {
                            "Name": release.function_name,
                            "Alias": release.alias,
                            "CurrentVersion": current_version,
                            "TargetVersion": release.target_version,
                        },
                    }
                }
            ],
        },
        sort_keys=True,
    )


def target_version(info: dict[str, Any]) -> str | None:
    """The version a deployment shifts to, read from its AppSpec; None for any other kind."""
    content = info.get("revision", {}).get("appSpecContent", {}).get("content")
    try:
        (resource,) = json.loads(content)["Resources"]
        (spec,) = resource.values()
        return str(spec["Properties"]["TargetVersion"])
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def alias_versions(alias: dict[str, Any]) -> dict[str, float]:
    """Each version the alias sends traffic to, with its share (0..1)."""
    extra = alias.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
    shares = {str(version): float(weight) for version, weight in extra.items()}
    return {str(alias["FunctionVersion"]): 1 - sum(shares.values()), **shares}


def settled_on(alias: dict[str, Any]) -> str | None:
    """The one version the alias sends all the traffic to, or None mid-shift."""
    versions = alias_versions(alias)
    return next(iter(versions)) if len(versions) == 1 else None


def deployments(
    codedeploy: CodeDeployClient, release: Release, statuses: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The group's deployments (of the given statuses), newest first, each as GetDeployment
    tells it."""
    ids: list[str] = []
    request: dict[str, Any] = {
        "applicationName": release.application,
        "deploymentGroupName": release.group,
    }
    if statuses:
        request["includeOnlyStatuses"] = list(statuses)
    while True:
        page = codedeploy.list_deployments(**request)
        ids += page.get("deployments", [])
        if not page.get("nextToken"):
            break
        request["nextToken"] = page["nextToken"]
    infos = [dict(codedeploy.get_deployment(deploymentId=i)["deploymentInfo"]) for i in ids]
    return sorted(infos, key=lambda info: info.get("createTime", 0), reverse=True)


def latest_for(codedeploy: CodeDeployClient, release: Release) -> dict[str, Any] | None:
    """The newest deployment that shifts the alias to the release's version, if any."""
    return next(
        (
            info
            for info in deployments(codedeploy, release)
            if target_version(info) == release.target_version
        ),
        None,
    )


def start(codedeploy: CodeDeployClient, functions: LambdaClient, release: Release) -> str:
    """Starts the shift, or says why there is nothing to start."""
    alias = dict(functions.get_alias(FunctionName=release.function_name, Name=release.alias))
    if settled_on(alias) == release.target_version:
        return f"alias {release.alias} already points at version {release.target_version}"
    running = deployments(codedeploy, release, UNDER_WAY)
    if running:
        info = running[0]
        return (
            f"deployment {info.get('deploymentId')} is {info.get('status')} (to version "
            f"{target_version(info)}): CodeDeploy runs one at a time, the check follows it"
        )
    current = str(alias["FunctionVersion"])
    content = appspec(release, current)
    created = codedeploy.create_deployment(
        applicationName=release.application,
        deploymentGroupName=release.group,
        revision={
            "revisionType": "AppSpecContent",
            "appSpecContent": {
                "content": content,
                "sha256": hashlib.sha256(content.encode()).hexdigest(),
            },
        },
        description=f"{release.function_name}:{release.alias} {current} -> "
        f"{release.target_version}",
    )
    return (
        f"deployment {created['deploymentId']} shifts alias {release.alias} from version "
        f"{current} to {release.target_version}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.release", description=__doc__)
    parser.add_argument("outputs", help="the JSON of `pulumi stack output --json`")
    args = parser.parse_args(argv)
    with open(args.outputs) as file:
        values = json.load(file)
    import boto3

    try:
        release = Release.from_outputs(values if isinstance(values, dict) else {})
        print(f"ok    {start(boto3.client('codedeploy'), boto3.client('lambda'), release)}")
    except ReleaseFailed as failure:
        print(f"FAIL  {failure}")
        return 1
    except (BotoCoreError, ClientError) as failure:
        print(f"FAIL  {type(failure).__name__}: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
