"""The stack's outputs, by name: what `pulumi stack output` prints and the deploy checks read."""

from __future__ import annotations

from typing import Final

API_URL: Final = "apiUrl"
ALB_DNS_NAME: Final = "albDnsName"
TABLE_NAME: Final = "tableName"
#: Where the service remembers each Idempotency-Key (``serve --aws-idempotency-table``).
IDEMPOTENCY_TABLE_NAME: Final = "idempotencyTableName"
IMAGE_URI: Final = "imageUri"
FUNCTION_ARN: Final = "functionArn"
#: The version this `up` published; the alias must point at it afterwards.
FUNCTION_VERSION: Final = "functionVersion"
ALIAS_ARN: Final = "aliasArn"
CLUSTER_NAME: Final = "clusterName"
SERVICE_NAME: Final = "serviceName"
#: The revision this `up` registered; the service's deployment must have completed on it.
TASK_DEFINITION_ARN: Final = "taskDefinitionArn"
DASHBOARD_URL: Final = "dashboardUrl"
#: The token issuer the load balancer trusts; exported only when the stack has auth on.
AUTH_ISSUER: Final = "authIssuer"
#: Whether the stack serves HTTPS (it has a certificate): the deploy check opens a plain http
#: apiUrl only when this is false.
HTTPS: Final = "https"
