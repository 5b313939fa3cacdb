"""The stack's outputs about the service's canary, by name: what the deploy job reads to drive a
release and what its check reads to judge one (deploy/canary.py, deploy/check.py)."""

from __future__ import annotations

from typing import Final

CANARY_SERVICE_NAME: Final = "canaryServiceName"
#: The canary's revision the last `up` registered: the canary must run it before its walkthrough.
CANARY_TASK_DEFINITION_ARN: Final = "canaryTaskDefinitionArn"
#: The canary target group's 5xx-rate and p99 alarms, which a bake watches.
CANARY_ALARM_NAMES: Final = "canaryAlarmNames"
#: Empty when no canary runs.
CANARY_IMAGE_URI: Final = "canaryImageUri"
#: The canary's share of the traffic, in %; 0 after a promotion or a rollback.
CANARY_WEIGHT: Final = "canaryWeight"
#: The listener whose rules forward to the primary and the canary, and the canary's target
#: group: a release confirms on the rules themselves that the canary's share is 0 before its
#: tasks go.
LISTENER_ARN: Final = "listenerArn"
#: The primary's target group: a hand-back waits until the primary's tasks are healthy in it.
TARGET_GROUP_ARN: Final = "targetGroupArn"
CANARY_TARGET_GROUP_ARN: Final = "canaryTargetGroupArn"
