"""Who talked to the stack: the load balancer's access logs and its own VPC's flow logs, in one
private S3 bucket that forgets them after the configured retention.

S3 rather than CloudWatch Logs: both services deliver there without an IAM role of ours, at a
fraction of the price, in the formats Athena reads. Default encryption (SSE-S3) is the only one
ALB log delivery accepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.naming import S3_BUCKET_NAME_LIMIT, name_prefix

ALB_PREFIX = "alb"
FLOW_PREFIX = "vpc-flow"
#: Regions opened since August 2022 deliver ALB logs as this service; older ones from an
#: AWS account of the region's load balancing service.
ALB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
FLOW_LOG_DELIVERY = "delivery.logs.amazonaws.com"


def bucket_policy(bucket_arn: str, account_id: str, elb_account_arn: str) -> str:
    """Each log service may write its own prefix of this account's logs, nothing else."""
    alb_objects = f"{bucket_arn}/{ALB_PREFIX}/AWSLogs/{account_id}/*"
    flow_objects = f"{bucket_arn}/{FLOW_PREFIX}/AWSLogs/{account_id}/*"
    from_this_account = {"StringEquals": {"aws:SourceAccount": account_id}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AlbLogDelivery",
            "Effect": "Allow",
            "Principal": {"AWS": elb_account_arn, "Service": ALB_LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": alb_objects,
        },
        {
            "Sid": "FlowLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": FLOW_LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": flow_objects,
            "Condition": {
                **from_this_account,
                "StringEqualsIfExists": {"s3:x-amz-acl": "bucket-owner-full-control"},
            },
        },
        {
            "Sid": "FlowLogAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": FLOW_LOG_DELIVERY},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": from_this_account,
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@dataclass(frozen=True)
class TrafficLogsArgs:
    #: The VPC whose flows are logged; None for none (a consumer's VPC is not the cluster's).
    flow_log_vpc_id: pulumi.Input[str] | None
    retention_days: int
    #: Let ``destroy`` delete the bucket with its logs (stacks that are not protected).
    force_destroy: bool


class TrafficLogs(pulumi.ComponentResource):
    #: The bucket's name, resolved only once its policy lets the load balancer write to it
    #: (the ALB checks that when access logs are switched on).
    bucket: pulumi.Output[str]

    def __init__(
        self, name: str, args: TrafficLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:TrafficLogs", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        elb_account = aws.elb.get_service_account_output(opts=invoke).arn

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=name_prefix(f"{name}-bucket", S3_BUCKET_NAME_LIMIT),
            force_destroy=args.force_destroy,
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-private",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    )
                )
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-retention",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.retention_days
                    ),
                )
            ],
            opts=child,
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account, elb_account).apply(
                lambda a: bucket_policy(a[0], a[1], a[2])
            ),
            opts=child,
        )
        if args.flow_log_vpc_id is not None:
            aws.ec2.FlowLog(
                f"{name}-vpc-flow",
                vpc_id=args.flow_log_vpc_id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination=pulumi.Output.concat(bucket.arn, f"/{FLOW_PREFIX}/"),
                max_aggregation_interval=600,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
        self.bucket = pulumi.Output.all(bucket.bucket, policy.id).apply(lambda a: str(a[0]))
        self.register_outputs({"bucket": self.bucket})
