from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def release_clients() -> Iterator[tuple[Any, Stubber, Any, Stubber]]:
    """CodeDeploy and Lambda clients, each behind a Stubber that must be used up."""
    codedeploy = boto3.client("codedeploy", region_name="eu-west-1")
    functions = boto3.client("lambda", region_name="eu-west-1")
    with Stubber(codedeploy) as cd_stub, Stubber(functions) as fn_stub:
        yield codedeploy, cd_stub, functions, fn_stub
        cd_stub.assert_no_pending_responses()
        fn_stub.assert_no_pending_responses()
