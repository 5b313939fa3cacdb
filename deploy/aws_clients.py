"""The AWS clients of one region that a release, its checks and a teardown call: one place that
makes them, so that tests give every caller the same stubbed set (tests/deploy/stubbed_aws.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Aws:
    """The clients of one region the release calls."""

    sts: Any
    ecs: Any
    functions: Any
    codedeploy: Any
    cloudwatch: Any
    elbv2: Any

    @classmethod
    def of_region(cls, region: str | None) -> Aws:
        import boto3

        session = boto3.session.Session(region_name=region)
        return cls(
            sts=session.client("sts"),
            ecs=session.client("ecs"),
            functions=session.client("lambda"),
            codedeploy=session.client("codedeploy"),
            cloudwatch=session.client("cloudwatch"),
            elbv2=session.client("elbv2"),
        )
