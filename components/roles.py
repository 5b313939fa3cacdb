"""One IAM role per runtime, with exactly one inline policy: what its code does, on its
resources. No managed policies, so nothing is granted that this repository does not show."""

from __future__ import annotations

from typing import NamedTuple

import pulumi
import pulumi_aws as aws

from components.naming import IAM_ROLE_NAME_LIMIT, name_prefix
from components.policies import assume_role_policy


class ServiceRole(NamedTuple):
    role: aws.iam.Role
    #: Depend on this, not the role, for "the role can already do its job".
    policy: aws.iam.RolePolicy


def service_role(
    name: str, service: str, policy: pulumi.Input[str], parent: pulumi.Resource
) -> ServiceRole:
    """``{name}-role``, which only ``service`` acting for this account may assume, and its
    policy ``{name}-policy``."""
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    role = aws.iam.Role(
        f"{name}-role",
        name_prefix=name_prefix(f"{name}-role", IAM_ROLE_NAME_LIMIT),
        assume_role_policy=account.account_id.apply(lambda a: assume_role_policy(service, a)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attached = aws.iam.RolePolicy(
        f"{name}-policy",
        role=role.id,
        policy=policy,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return ServiceRole(role, attached)
