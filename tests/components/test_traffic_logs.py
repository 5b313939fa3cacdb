from __future__ import annotations

import json

from components.traffic_logs import ALB_LOG_DELIVERY, ALB_PREFIX, FLOW_PREFIX
from tests.components.conftest import Stack
from tests.components.harness import ACCOUNT, ELB_ACCOUNT


def test_traffic_logs_only_where_configured(stack: Stack) -> None:
    alb = stack.one("aws:lb/loadBalancer:LoadBalancer")["state"]
    if stack.setting("trafficLogs") != "true":
        assert stack.all("aws:s3/bucket:Bucket") == []
        assert stack.all("aws:ec2/flowLog:FlowLog") == []
        assert "accessLogs" not in alb
        return
    bucket = stack.one("aws:s3/bucket:Bucket")["state"]
    assert alb["accessLogs"] == {"bucket": bucket["bucket"], "prefix": ALB_PREFIX, "enabled": True}
    flow = stack.one("aws:ec2/flowLog:FlowLog")["state"]
    assert flow["vpcId"] == stack.one("awsx:ec2:Vpc")["state"]["vpcId"]
    assert flow["trafficType"] == "ALL"
    assert flow["logDestination"] == f"{bucket['arn']}/{FLOW_PREFIX}/"


def test_the_log_bucket_is_private_and_forgets(stack: Stack) -> None:
    if stack.setting("trafficLogs") != "true":
        return
    private = stack.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["state"]
    assert all(private[k] is True for k in ("blockPublicAcls", "blockPublicPolicy"))
    assert all(private[k] is True for k in ("ignorePublicAcls", "restrictPublicBuckets"))
    (rule,) = stack.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[
        "state"
    ]["rules"]
    assert rule["expiration"]["days"] == int(stack.setting("trafficLogRetentionDays"))
    (encryption,) = stack.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )["state"]["rules"]
    # ALB log delivery accepts SSE-S3 only.
    assert encryption["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_each_log_service_may_write_only_its_prefix(stack: Stack) -> None:
    if stack.setting("trafficLogs") != "true":
        return
    bucket = stack.one("aws:s3/bucket:Bucket")["state"]
    policy = json.loads(stack.one("aws:s3/bucketPolicy:BucketPolicy")["state"]["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    alb = by_sid["AlbLogDelivery"]
    assert alb["Principal"] == {
        "AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root",
        "Service": ALB_LOG_DELIVERY,
    }
    assert alb["Resource"] == f"{bucket['arn']}/{ALB_PREFIX}/AWSLogs/{ACCOUNT}/*"
    flow = by_sid["FlowLogDelivery"]
    assert flow["Resource"] == f"{bucket['arn']}/{FLOW_PREFIX}/AWSLogs/{ACCOUNT}/*"
    assert flow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert by_sid["TlsOnly"]["Effect"] == "Deny"
    assert all(s["Action"] != "s3:*" for s in policy["Statement"] if s["Effect"] == "Allow")
