"""CloudWatch's metrics for the services this stack uses: (namespace, name) -> the dimension
sets CloudWatch publishes them with. Transcribed from each service's metric reference:

- AWS/ApplicationELB: docs.aws.amazon.com/elasticloadbalancing/latest/application/
  load-balancer-cloudwatch-metrics.html
- AWS/ECS: docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html
- ECS/ContainerInsights: docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
  Container-Insights-metrics-ECS.html
- AWS/Lambda: docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
- AWS/DynamoDB: docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
"""

from __future__ import annotations

from typing import Final

_LB = frozenset({"LoadBalancer"})
_TARGET = frozenset({"LoadBalancer", "TargetGroup"})
_SERVICE = frozenset({"ClusterName", "ServiceName"})
_FUNCTION = frozenset({"FunctionName"})
_TABLE = frozenset({"TableName"})
_OPERATION = frozenset({"TableName", "Operation"})

METRICS: Final[dict[tuple[str, str], frozenset[frozenset[str]]]] = {
    # "Monitoring health checks using CloudWatch" (Route 53 developer guide), in us-east-1.
    ("AWS/Route53", "HealthCheckStatus"): frozenset({frozenset({"HealthCheckId"})}),
    # Global tables' "ReplicationLatency", per table and receiving region (MREC only).
    ("AWS/DynamoDB", "ReplicationLatency"): frozenset(
        {frozenset({"TableName", "ReceivingRegion"})}
    ),
    ("AWS/ApplicationELB", "RequestCount"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "HTTPCode_ELB_4XX_Count"): frozenset({_LB}),
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"): frozenset({_LB}),
    ("AWS/ApplicationELB", "HTTPCode_Target_2XX_Count"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "HTTPCode_Target_4XX_Count"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "TargetResponseTime"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "UnHealthyHostCount"): frozenset({_TARGET}),
    ("AWS/ApplicationELB", "HealthyHostCount"): frozenset({_TARGET}),
    ("AWS/ApplicationELB", "LambdaUserError"): frozenset({_LB, _TARGET}),
    ("AWS/ApplicationELB", "LambdaInternalError"): frozenset({_LB, _TARGET}),
    ("AWS/ECS", "CPUUtilization"): frozenset({frozenset({"ClusterName"}), _SERVICE}),
    ("AWS/ECS", "MemoryUtilization"): frozenset({frozenset({"ClusterName"}), _SERVICE}),
    ("ECS/ContainerInsights", "RunningTaskCount"): frozenset({_SERVICE}),
    ("ECS/ContainerInsights", "DesiredTaskCount"): frozenset({_SERVICE}),
    ("AWS/Lambda", "Invocations"): frozenset({_FUNCTION}),
    # By alias and the version that ran (Lambda's metric types page, "Using invocation
    # metrics": FunctionName, Resource and ExecutedVersion).
    ("AWS/Lambda", "Errors"): frozenset(
        {_FUNCTION, frozenset({"FunctionName", "Resource", "ExecutedVersion"})}
    ),
    ("AWS/Lambda", "Throttles"): frozenset({_FUNCTION}),
    ("AWS/Lambda", "Duration"): frozenset({_FUNCTION}),
    ("AWS/Lambda", "ConcurrentExecutions"): frozenset({_FUNCTION}),
    ("AWS/DynamoDB", "ConsumedReadCapacityUnits"): frozenset({_TABLE}),
    ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"): frozenset({_TABLE}),
    ("AWS/DynamoDB", "ReadThrottleEvents"): frozenset({_TABLE}),
    ("AWS/DynamoDB", "WriteThrottleEvents"): frozenset({_TABLE}),
    ("AWS/DynamoDB", "ThrottledRequests"): frozenset({_OPERATION}),
    ("AWS/DynamoDB", "SuccessfulRequestLatency"): frozenset({_OPERATION}),
}
#: The Operation dimension's values for table-level metrics.
DYNAMODB_OPERATIONS: Final = frozenset(
    {"GetItem", "PutItem", "DeleteItem", "UpdateItem", "Query", "Scan", "BatchGetItem"}
    | {"BatchWriteItem", "TransactGetItems", "TransactWriteItems"}
)
