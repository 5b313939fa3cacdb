"""One region's clients behind botocore's Stubber, with every call recorded in the order it was
made across all of them (``service:Operation``), as the release makes them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.stub import Stubber

from deploy.aws_clients import Aws

REGION = "eu-west-1"
#: Who the release runs as (STS GetCallerIdentity).
IDENTITY = {
    "UserId": "AROA:laptop",
    "Account": "123456789012",
    "Arn": "arn:aws:sts::123456789012:assumed-role/picus-deploy/laptop",
}


@dataclass
class StubbedAws:
    aws: Aws
    stubs: dict[str, Stubber]
    calls: list[str] = field(default_factory=list)

    def expect(
        self, service: str, operation: str, response: dict[str, Any], /, **params: Any
    ) -> None:
        """The next call of ``operation`` on ``service``, with exactly ``params`` if given."""
        self.stubs[service].add_response(operation, response, params or None)


@contextmanager
def stubbed_aws(region: str = REGION) -> Iterator[StubbedAws]:
    """Clients of ``region`` whose every call must have been expected, and whose expectations
    must all be used up by the end."""
    session = boto3.session.Session(
        region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    names = {"sts": "sts", "ecs": "ecs", "functions": "lambda", "codedeploy": "codedeploy",
             "cloudwatch": "cloudwatch", "elbv2": "elbv2"}  # fmt: skip
    clients: dict[str, Any] = {
        field_name: session.client(service)  # type: ignore[call-overload]
        for field_name, service in names.items()
    }
    recorded: list[str] = []

    def record(model: Any, **_: Any) -> None:
        recorded.append(f"{model.service_model.service_name}:{model.name}")

    for client in clients.values():
        client.meta.events.register("before-parameter-build.*.*", record)
    with ExitStack() as stack:
        stubs = {names[n]: stack.enter_context(Stubber(c)) for n, c in clients.items()}
        yield StubbedAws(Aws(**clients), stubs, recorded)
        for stub in stubs.values():
            stub.assert_no_pending_responses()
