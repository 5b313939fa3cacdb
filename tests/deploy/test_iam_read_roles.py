"""The preview and drift roles' permission policies (deploy/iam/github-{preview,drift}-policy.json):
they read what a refresh reads, of every stack, and can change nothing nor read any data."""

from __future__ import annotations

import pytest

from tests.deploy.iam_needs import refresh_needs
from tests.deploy.iam_policies import (
    DEPLOY_ROLES,
    READ_LEVELS,
    READ_ROLES,
    access_level,
    granted,
    permissions,
    policy_path,
    refused,
)

#: Reads that `preview --refresh` does not make: an image's layers (the refresh reads its
#: manifest), the log objects' versions (destroy empties the bucket) and the table key's
#: description (DynamoDB reads it when it takes its grant), and the items a new replica's
#: creation reads (DynamoDB reads them as the caller, "Using IAM with global tables").
NOT_READ_BY_REFRESH = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
        "s3:ListBucketVersions",
        "kms:DescribeKey",
    }
)


@pytest.mark.parametrize("role", READ_ROLES)
def test_a_read_role_can_change_nothing(role: str) -> None:
    document = permissions(role)
    assert {s["Effect"] for s in document["Statement"]} == {"Allow"}
    assert all("Action" in s and "Resource" in s for s in document["Statement"])
    assert {
        a: access_level(a) for a in granted(document) if access_level(a) not in READ_LEVELS
    } == {}


@pytest.mark.parametrize("role", READ_ROLES)
@pytest.mark.parametrize("stack", DEPLOY_ROLES)
def test_a_read_role_reads_what_a_refresh_reads(role: str, stack: str) -> None:
    reads = sorted(
        a
        for a in refresh_needs()
        if access_level(a) in READ_LEVELS and a not in NOT_READ_BY_REFRESH
    )
    assert len(reads) > 50
    assert {a: refused(role, a, stack) for a in reads} == {a: [] for a in reads}


#: Reads of what the stack holds rather than of how it is built: items, log events and objects,
#: image layers, the firewall's sampled requests.
DATA_READS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "ecr:GetDownloadUrlForLayer",
        "wafv2:GetSampledRequests",
    }
)


@pytest.mark.parametrize("role", READ_ROLES)
def test_a_read_role_reads_no_data_nor_what_a_refresh_leaves_alone(role: str) -> None:
    assert (DATA_READS | NOT_READ_BY_REFRESH) & granted(permissions(role)) == set()


def test_preview_and_drift_read_alike() -> None:
    assert policy_path("preview").read_text() == policy_path("drift").read_text()
