"""The listener's certificate must live in the stack's region: ACM certificates are regional
resources, and a load balancer takes only one of its own region ("Supported Regions",
https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html). Otherwise preview passes and
the listener fails when it is created."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.cluster_settings import InvalidSettings


def region_problem(certificate_arn: str, region: str) -> str | None:
    """Why the certificate cannot serve a load balancer in ``region``, if it cannot."""
    parts = certificate_arn.split(":")
    where = parts[3] if len(parts) > 3 else ""
    if where == region:
        return None
    return (
        f"picus:certificateArn is a certificate of {where or 'no region'}, and the stack deploys "
        f"to {region}: request or import the certificate in {region} (ACM certificates are "
        "regional)"
    )


def in_stack_region(
    cluster: str, certificate_arn: pulumi.Input[str], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The certificate, once it is known to be of the region the cluster's provider deploys
    to; InvalidSettings, naming both regions, otherwise."""
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region

    def checked(values: list[str]) -> str:
        arn, stack_region = values
        problem = region_problem(arn, stack_region)
        if problem:
            raise InvalidSettings(cluster, [problem])
        return arn

    return pulumi.Output.all(certificate_arn, region).apply(checked)
