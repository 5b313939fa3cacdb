"""The service's ECS container definition, as a plain function for tests to validate against
botocore's RegisterTaskDefinition shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from picus.contract import CONTAINER_PORT, IDEMPOTENCY_TABLE_NAME

CONTAINER_NAME = "service"


def container_definitions(
    *,
    image: str,
    table_name: str,
    region: str,
    log_group: str,
    forwarded_allow_ips: str,
    stop_timeout: int,
    graceful_shutdown: int,
    extra_environment: Mapping[str, str],
    # The service's own default, as for a container run by hand (tests/test_container.py);
    # the stack always names its table (components/fargate_service.py).
    idempotency_table_name: str = IDEMPOTENCY_TABLE_NAME,
) -> str:
    definition: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "portMappings": [
            {"containerPort": CONTAINER_PORT, "hostPort": CONTAINER_PORT, "protocol": "tcp"}
        ],
        "environment": [
            {"name": "PICUS_TABLE_NAME", "value": table_name},
            {"name": "PICUS_IDEMPOTENCY_TABLE_NAME", "value": idempotency_table_name},
            {"name": "AWS_REGION", "value": region},
            # Only the load balancer's nodes may set X-Forwarded-For.
            {"name": "PICUS_FORWARDED_ALLOW_IPS", "value": forwarded_allow_ips},
            {"name": "PICUS_GRACEFUL_SHUTDOWN", "value": str(graceful_shutdown)},
            *({"name": k, "value": v} for k, v in sorted(extra_environment.items())),
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": CONTAINER_NAME,
                "mode": "non-blocking",
                "max-buffer-size": "4m",
            },
        },
        "stopTimeout": stop_timeout,
        "readonlyRootFilesystem": True,
        "linuxParameters": {"initProcessEnabled": True},
    }
    return json.dumps([definition])
