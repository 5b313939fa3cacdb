"""How the AWS operations of the release scripts are read from their source
(tests/deploy/aws_calls.py), on small modules written the ways deploy/ writes its calls."""

from __future__ import annotations

from tests.deploy.aws_calls import Operation, operations_in, release_operations

CLIENTS = """
import boto3
from botocore.stub import Stubber
if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

def wait(functions: LambdaClient, name: str) -> None:
    functions.get_waiter("function_active_v2").wait(FunctionName=name)

ecs = boto3.client("ecs")
listener = boto3.Session().client(service_name="elbv2")
"""


def test_a_method_is_an_operation_of_the_clients_the_module_names() -> None:
    found = operations_in([CLIENTS + "ecs.describe_tasks(cluster='c', tasks=['t'])\n"])
    assert Operation("ecs", "DescribeTasks") in found
    assert Operation("lambda", "GetFunction") in found  # what the waiter polls


def test_a_keyword_service_name_and_a_paginator_count() -> None:
    source = CLIENTS + "listener.get_paginator('describe_rules').paginate(ListenerArn='a')\n"
    assert Operation("elbv2", "DescribeRules") in operations_in([source])


def test_what_a_stubber_answers_counts_as_called() -> None:
    stubbed = CLIENTS + "Stubber(ecs).add_client_error('list_tasks', 'AccessDeniedException')\n"
    assert Operation("ecs", "ListTasks") in operations_in([stubbed])


def test_a_name_several_services_know_counts_for_each() -> None:
    # ECS and Lambda both have TagResource; which client makes the call is not read.
    found = operations_in([CLIENTS + "ecs.tag_resource(resourceArn='a', tags=[])\n"])
    assert {Operation("ecs", "TagResource"), Operation("lambda", "TagResource")} <= found
    assert not any(o.service == "elbv2" for o in found)


def test_other_calls_and_other_services_are_not_operations() -> None:
    source = CLIENTS + "print(len('x'))\nvalues.get('k')\nsqs.send_message(QueueUrl='q')\n"
    names = {o.name for o in operations_in([source])}
    assert names == {"GetFunction"}


def test_an_operation_is_an_iam_action_of_its_service() -> None:
    assert Operation("elbv2", "DescribeRules").iam_action == "elasticloadbalancing:DescribeRules"
    assert Operation("cloudwatch", "DescribeAlarms").iam_action == "cloudwatch:DescribeAlarms"
    assert Operation("lambda", "GetAlias").iam_action == "lambda:GetAlias"


def test_the_release_scripts_calls_are_found() -> None:
    found = release_operations()
    # deploy/release.py starts the shift, deploy/canary.py bakes under the canary's alarms.
    assert Operation("codedeploy", "CreateDeployment") in found
    assert Operation("cloudwatch", "DescribeAlarms") in found
