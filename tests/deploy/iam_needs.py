"""What a deploy role needs, as IAM actions: for each type of resource the program creates, what
pulumi-aws (terraform-provider-aws underneath) calls to create, read (``preview --refresh``),
update, tag and delete it; and what runs beside the resources. test_iam_permissions.py holds the
committed policies to it both ways: everything here is allowed, and no write the deploy
policies grant is missing here (a new type of resource without an entry fails too, since every
type in ``tests/components/urns/`` must have one).
"""

from __future__ import annotations

from functools import cache
from typing import Final

_TAGS_EC2: Final = ("ec2:CreateTags", "ec2:DeleteTags")


def _elb(*actions: str) -> tuple[str, ...]:
    tags = ("AddTags", "RemoveTags", "DescribeTags")
    return tuple(f"elasticloadbalancing:{a}" for a in (*actions, *tags))


def _tagged(prefix: str, *actions: str, tags: tuple[str, ...] | None = None) -> tuple[str, ...]:
    names = tags or ("TagResource", "UntagResource", "ListTagsForResource")
    return tuple(f"{prefix}:{a}" for a in (*actions, *names))


_TARGET_TRACKING_ALARMS: Final = (
    # A target tracking policy creates and deletes its alarms with the caller's rights.
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:DeleteAlarms",
)

#: What creating and deleting a global table's replica needs in the replica's region, beside
#: UpdateTable in the table's own ("Using IAM with global tables",
#: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2gt_IAM.html).
REPLICA_ACTIONS: Final = (
    "CreateTableReplica",
    "DeleteTableReplica",
    "Scan",
    "Query",
    "UpdateItem",
    "PutItem",
    "GetItem",
    "DeleteItem",
    "BatchWriteItem",
)

#: The roles the program creates are passed to these services (tested against the roles'
#: trust policies), so each resource that takes a role needs iam:PassRole.
BY_RESOURCE_TYPE: Final[dict[str, tuple[str, ...]]] = {
    "aws:appautoscaling/policy:Policy": (
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:DeleteScalingPolicy",
        *_TARGET_TRACKING_ALARMS,
    ),
    "aws:appautoscaling/target:Target": (
        *_tagged(
            "application-autoscaling",
            "RegisterScalableTarget",
            "DescribeScalableTargets",
            "DeregisterScalableTarget",
        ),
        # RegisterScalableTarget checks that the caller may change the service it scales.
        "ecs:DescribeServices",
        "ecs:UpdateService",
        "iam:CreateServiceLinkedRole",
    ),
    "aws:cloudwatch/dashboard:Dashboard": (
        "cloudwatch:PutDashboard",
        "cloudwatch:GetDashboard",
        "cloudwatch:DeleteDashboards",
    ),
    "aws:cloudwatch/logGroup:LogGroup": _tagged(
        "logs",
        "CreateLogGroup",
        "DescribeLogGroups",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
        "DeleteLogGroup",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _tagged(
        "cloudwatch", "PutMetricAlarm", "DescribeAlarms", "DeleteAlarms"
    ),
    "aws:codedeploy/application:Application": _tagged(
        "codedeploy", "CreateApplication", "GetApplication", "DeleteApplication"
    ),
    "aws:codedeploy/deploymentConfig:DeploymentConfig": (
        "codedeploy:CreateDeploymentConfig",
        "codedeploy:GetDeploymentConfig",
        "codedeploy:DeleteDeploymentConfig",
    ),
    "aws:codedeploy/deploymentGroup:DeploymentGroup": (
        *_tagged(
            "codedeploy",
            "CreateDeploymentGroup",
            "GetDeploymentGroup",
            "UpdateDeploymentGroup",
            "DeleteDeploymentGroup",
        ),
        "iam:PassRole",
    ),
    "aws:dynamodb/table:Table": (
        *_tagged(
            "dynamodb",
            "CreateTable",
            "DescribeTable",
            "UpdateTable",
            "DeleteTable",
            "DescribeContinuousBackups",
            "UpdateContinuousBackups",
            "DescribeTimeToLive",
            "UpdateTimeToLive",
            tags=("TagResource", "UntagResource", "ListTagsOfResource"),
        ),
        # A replica in another region (UpdateTable's ReplicaUpdates), as "Using IAM with global
        # tables" lists it: the replica's creation reads and writes the new replica's items.
        *(f"dynamodb:{a}" for a in REPLICA_ACTIONS),
        # A customer managed key (tableKmsKeyArn): DynamoDB takes a grant on it for the table.
        "kms:DescribeKey",
        "kms:CreateGrant",
    ),
    "aws:ec2/flowLog:FlowLog": (
        "ec2:CreateFlowLogs",
        "ec2:DescribeFlowLogs",
        "ec2:DeleteFlowLogs",
        # Flow logs to S3 are a log delivery of CloudWatch Logs.
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        *_TAGS_EC2,
    ),
    "aws:ec2/securityGroup:SecurityGroup": (
        "ec2:CreateSecurityGroup",
        "ec2:DescribeSecurityGroups",
        # The provider removes the egress rule AWS adds to a new group.
        "ec2:RevokeSecurityGroupEgress",
        "ec2:DeleteSecurityGroup",
        # Deleting waits for the network interfaces that still use the group.
        "ec2:DescribeNetworkInterfaces",
        *_TAGS_EC2,
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        "ec2:CreateVpcEndpoint",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcEndpointServices",
        "ec2:DescribePrefixLists",
        "ec2:ModifyVpcEndpoint",
        "ec2:DeleteVpcEndpoints",
        *_TAGS_EC2,
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (
        "ecr:PutLifecyclePolicy",
        "ecr:GetLifecyclePolicy",
        "ecr:DeleteLifecyclePolicy",
    ),
    "aws:ecr/repository:Repository": _tagged(
        "ecr",
        "CreateRepository",
        "DescribeRepositories",
        "PutImageTagMutability",
        "PutImageScanningConfiguration",
        "DeleteRepository",
        # A force delete of an unprotected stack's repository lists and deletes its images.
        "ListImages",
        "BatchDeleteImage",
    ),
    "aws:ecs/cluster:Cluster": (
        *_tagged(
            "ecs",
            "CreateCluster",
            "DescribeClusters",
            "UpdateCluster",
            "UpdateClusterSettings",
            "DeleteCluster",
        ),
        "iam:CreateServiceLinkedRole",
    ),
    "aws:ecs/service:Service": _tagged(
        "ecs", "CreateService", "DescribeServices", "UpdateService", "DeleteService"
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        *_tagged("ecs", "RegisterTaskDefinition", "DescribeTaskDefinition"),
        # skip_destroy keeps every revision; the teardown deregisters and deletes them.
        "ecs:ListTaskDefinitions",
        "ecs:DeregisterTaskDefinition",
        "ecs:DeleteTaskDefinitions",
        "iam:PassRole",
    ),
    "aws:iam/role:Role": (
        "iam:CreateRole",
        "iam:GetRole",
        "iam:UpdateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        # Deleting a role first detaches it from instance profiles.
        "iam:ListInstanceProfilesForRole",
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        "iam:PutRolePolicy",
        "iam:GetRolePolicy",
        "iam:DeleteRolePolicy",
    ),
    "aws:lambda/alias:Alias": (
        "lambda:CreateAlias",
        "lambda:GetAlias",
        "lambda:UpdateAlias",
        "lambda:DeleteAlias",
    ),
    "aws:lambda/function:Function": (
        *_tagged(
            "lambda",
            "CreateFunction",
            "GetFunction",
            "GetFunctionConfiguration",
            "GetFunctionCodeSigningConfig",
            "GetFunctionConcurrency",
            "GetFunctionRecursionConfig",
            "GetRuntimeManagementConfig",
            "ListVersionsByFunction",
            "UpdateFunctionCode",
            "UpdateFunctionConfiguration",
            "PublishVersion",
            "DeleteFunction",
            tags=("TagResource", "UntagResource", "ListTags"),
        ),
        "iam:PassRole",
    ),
    "aws:lambda/permission:Permission": (
        "lambda:AddPermission",
        "lambda:GetPolicy",
        "lambda:RemovePermission",
    ),
    "aws:lb/listener:Listener": _elb(
        "CreateListener",
        "DescribeListeners",
        "DescribeListenerAttributes",
        "ModifyListener",
        "ModifyListenerAttributes",
        "DeleteListener",
    ),
    "aws:lb/listenerRule:ListenerRule": _elb(
        "CreateRule", "DescribeRules", "ModifyRule", "SetRulePriorities", "DeleteRule"
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        *_elb(
            "CreateLoadBalancer",
            "DescribeLoadBalancers",
            "DescribeLoadBalancerAttributes",
            "ModifyLoadBalancerAttributes",
            "SetSecurityGroups",
            "SetSubnets",
            "SetIpAddressType",
            "DeleteLoadBalancer",
        ),
        "iam:CreateServiceLinkedRole",
    ),
    "aws:lb/targetGroup:TargetGroup": _elb(
        "CreateTargetGroup",
        "DescribeTargetGroups",
        "DescribeTargetGroupAttributes",
        "ModifyTargetGroup",
        "ModifyTargetGroupAttributes",
        "DeleteTargetGroup",
    ),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": (
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DeregisterTargets",
    ),
    "aws:route53/healthCheck:HealthCheck": (
        "route53:CreateHealthCheck",
        "route53:GetHealthCheck",
        "route53:UpdateHealthCheck",
        "route53:DeleteHealthCheck",
        "route53:ChangeTagsForResource",
        "route53:ListTagsForResource",
    ),
    "aws:route53/record:Record": (
        "route53:ChangeResourceRecordSets",
        "route53:ListResourceRecordSets",
        "route53:GetHostedZone",
        "route53:GetChange",
    ),
    "aws:s3/bucket:Bucket": (
        "s3:CreateBucket",
        "s3:ListBucket",
        "s3:GetBucketAcl",
        "s3:GetBucketCORS",
        "s3:GetBucketWebsite",
        "s3:GetBucketVersioning",
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketRequestPayment",
        "s3:GetBucketLogging",
        "s3:GetLifecycleConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketTagging",
        "s3:GetBucketPolicy",
        "s3:PutBucketTagging",
        "s3:DeleteBucket",
        # force_destroy on an unprotected stack empties the bucket first.
        "s3:ListBucketVersions",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        "s3:PutBucketPolicy",
        "s3:GetBucketPolicy",
        "s3:DeleteBucketPolicy",
    ),
    # DeletePublicAccessBlock is authorized as s3:PutBucketPublicAccessBlock.
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3:PutEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
    ),
    "aws:sns/topic:Topic": _tagged(
        "sns", "CreateTopic", "GetTopicAttributes", "SetTopicAttributes", "DeleteTopic"
    ),
    "aws:sns/topicSubscription:TopicSubscription": (
        "sns:Subscribe",
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:Unsubscribe",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:DescribeSecurityGroupRules",
        "ec2:ModifySecurityGroupRules",
        "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
        "ec2:RevokeSecurityGroupEgress",
        *_TAGS_EC2,
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:DescribeSecurityGroupRules",
        "ec2:ModifySecurityGroupRules",
        "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
        "ec2:RevokeSecurityGroupIngress",
        *_TAGS_EC2,
    ),
    "aws:wafv2/webAcl:WebAcl": _tagged(
        "wafv2", "CreateWebACL", "GetWebACL", "UpdateWebACL", "DeleteWebACL"
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": (
        "wafv2:AssociateWebACL",
        "wafv2:GetWebACLForResource",
        "wafv2:DisassociateWebACL",
        # Associating a web ACL with a load balancer is also the load balancer's action.
        "elasticloadbalancing:SetWebAcl",
    ),
    # A remote component: its children are a VPC, subnets, route tables and their routes and
    # associations, an internet gateway, NAT gateways and their elastic IPs.
    "awsx:ec2:Vpc": (
        "ec2:CreateVpc",
        "ec2:DescribeVpcs",
        "ec2:DescribeVpcAttribute",
        "ec2:ModifyVpcAttribute",
        "ec2:DeleteVpc",
        # Reading a VPC reads its default network ACL and security group.
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeSecurityGroups",
        "ec2:CreateSubnet",
        "ec2:DescribeSubnets",
        "ec2:ModifySubnetAttribute",
        "ec2:DeleteSubnet",
        "ec2:CreateRouteTable",
        "ec2:DescribeRouteTables",
        "ec2:DeleteRouteTable",
        "ec2:CreateRoute",
        "ec2:ReplaceRoute",
        "ec2:DeleteRoute",
        "ec2:AssociateRouteTable",
        "ec2:DisassociateRouteTable",
        "ec2:CreateInternetGateway",
        "ec2:DescribeInternetGateways",
        "ec2:AttachInternetGateway",
        "ec2:DetachInternetGateway",
        "ec2:DeleteInternetGateway",
        "ec2:AllocateAddress",
        "ec2:DescribeAddresses",
        "ec2:DescribeAddressesAttribute",
        "ec2:DisassociateAddress",
        "ec2:ReleaseAddress",
        "ec2:CreateNatGateway",
        "ec2:DescribeNatGateways",
        "ec2:DeleteNatGateway",
        "ec2:DescribeAvailabilityZones",
        *_TAGS_EC2,
    ),
    # Builds the image and pushes it to the stack's repository by digest.
    "docker-build:index:Image": (
        "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:DescribeImages",
    ),
}

PROVIDER: Final = "the aws provider and the program's data sources"

#: What runs beside the resources: the provider and the program's data sources, and the
#: release and the check after `up` (whose boto3 calls test_iam.py also reads from deploy/).
BEYOND_RESOURCES: Final[dict[str, tuple[str, ...]]] = {
    # And sts:GetCallerIdentity, which needs no permission (NO_PERMISSION_NEEDED).
    PROVIDER: (
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeRegions",
        "ec2:DescribeTags",
        "ec2:DescribeRouteTables",
        "ecr:GetAuthorizationToken",
    ),
    "the release and the check": (
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        "codedeploy:ListDeployments",
        "codedeploy:GetDeploymentConfig",
        "lambda:GetAlias",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "ecs:DescribeServices",
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "cloudwatch:DescribeAlarms",
    ),
}

#: Actions IAM allows whatever the policy says (AWS STS API reference: GetCallerIdentity).
NO_PERMISSION_NEEDED: Final = frozenset({"sts:GetCallerIdentity"})

#: The CI image job (dev's role): pushes the image once, by digest, to the repository outside
#: the stacks that every stack deployed with imageUri pulls from.
IMAGE_REPOSITORY: Final = "picus"
IMAGE_PUSH: Final = (
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


@cache
def every_need() -> frozenset[str]:
    return frozenset(
        a for actions in (*BY_RESOURCE_TYPE.values(), *BEYOND_RESOURCES.values()) for a in actions
    )


@cache
def refresh_needs() -> frozenset[str]:
    """What `pulumi preview --refresh` calls: the resources' reads and the provider's."""
    return frozenset(
        a for actions in (*BY_RESOURCE_TYPE.values(), BEYOND_RESOURCES[PROVIDER]) for a in actions
    )
