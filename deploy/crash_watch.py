"""A canary whose tasks die at start is found in seconds, not when a wait times out.

The canary service starts at no tasks and grows through autoscaling, which no deployment
circuit breaker watches (components/deployment.py): a revision that exits at start is started
again and again while the rollout simply never completes. So the wait for the canary reads its
stopped tasks at each poll (ECS lists a stopped task for at least an hour: "Amazon ECS task
lifecycle", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html)
and fails at the first task of the new revision that stopped on its own, naming ECS's stop reason
and each container's exit code.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any, Final

from deploy.check import CheckFailed

#: ECS's stop codes of a task that ended on its own rather than being scaled in or replaced
#: (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
CRASHED: Final = frozenset({"EssentialContainerExited", "TaskFailedToStart"})
#: DescribeTasks takes at most 100 tasks per call.
DESCRIBE_BATCH: Final = 100


class Crashed(CheckFailed):
    """Tasks of the new revision stopped on their own."""


def _why(task: dict[str, Any]) -> str:
    parts = [task.get("stoppedReason") or task.get("stopCode") or "no reason given"]
    for container in task.get("containers", []):
        code, reason = container.get("exitCode"), container.get("reason")
        if code not in (None, 0) or reason:
            said = f"container {container.get('name')} exited {code}"
            parts.append(f"{said} ({reason})" if reason else said)
    return "; ".join(parts)


def _stopped(ecs: Any, cluster: str, service: str) -> Iterator[str]:
    pages = ecs.get_paginator("list_tasks").paginate(
        cluster=cluster, serviceName=service, desiredStatus="STOPPED"
    )
    for page in pages:
        yield from page.get("taskArns", [])


def crashed_tasks(
    ecs: Any, cluster: str, service: str, task_definition_arn: str, since: datetime.datetime
) -> list[str]:
    """Each task of ``task_definition_arn`` in ``service`` that stopped on its own after
    ``since`` (ECS lists the tasks that stopped in the last hour too, crashes of an earlier
    release among them)."""
    listed = list(_stopped(ecs, cluster, service))
    found: list[str] = []
    for start in range(0, len(listed), DESCRIBE_BATCH):
        batch = listed[start : start + DESCRIBE_BATCH]
        for task in ecs.describe_tasks(cluster=cluster, tasks=batch).get("tasks", []):
            if task.get("taskDefinitionArn") != task_definition_arn:
                continue  # an earlier revision's, or a task replaced on purpose
            stopped = task.get("stoppedAt")
            if isinstance(stopped, datetime.datetime) and stopped < since:
                continue
            health = "health check" in str(task.get("stoppedReason", "")).lower()
            if task.get("stopCode") in CRASHED or health:
                found.append(f"task {str(task.get('taskArn')).rsplit('/', 1)[-1]}: {_why(task)}")
    return found


def crash_watch(
    ecs: Any,
    cluster: str,
    service: str,
    task_definition_arn: str,
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
) -> Callable[[], None]:
    """A check to run at each poll of a wait: Crashed at the first task that dies after the
    watch began."""
    since = clock()

    def watch() -> None:
        found = crashed_tasks(ecs, cluster, service, task_definition_arn, since)
        if found:
            raise Crashed(f"{service} runs a revision whose tasks stop: {found[0]}")

    return watch
