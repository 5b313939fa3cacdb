"""Tear a stack down, and what ``pulumi destroy`` leaves behind on purpose.

    python -m deploy.teardown --stack STACK        (python3 dev.py destroy --stack STACK)

1. ready: the Pulumi CLI, the stack, AWS credentials (deploy/preflight.py); a protected stack
   (``protect: true``) is refused here, before anything changes;
2. ``pulumi destroy``: everything the program created;
3. the task definitions of the service and of its canary: Pulumi keeps their revisions
   (``skip_destroy``, components/fargate_service.py) so that a rollback can return to one, so
   each revision of the two families is deregistered, then deleted
   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/delete-task-definition.html).
   A stack of several regions registered them in each region: its ``regions`` output, read
   before the destroy, names each region's families, removed with that region's client.

The stack itself (its history, its settings) stays: ``pulumi stack rm`` forgets it.
Exits 0 once all is gone, 1 with a FAIL line otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components import outputs, release_outputs
from deploy import preflight, regions
from deploy.aws_clients import Aws
from deploy.pipeline import PRINT, stack_file_of
from deploy.preflight import NotReady, StackUnavailable
from deploy.stack_cli import PulumiCli, StackSettings

#: DeleteTaskDefinitions takes at most ten revisions per call.
DELETE_BATCH = 10
#: How many times, and how far apart, the inactive revisions are listed until they are all there.
LISTING_ROUNDS = 5
LISTING_PAUSE_S = 2.0


class TeardownFailed(Exception):
    """AWS refused to remove something the stack left."""


def family_of(task_definition_arn: str) -> str:
    """``family`` of ``arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>``."""
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def families(values: Mapping[str, Any]) -> list[str]:
    """The task definition families the stack registered revisions of (primary, canary)."""
    names = (outputs.TASK_DEFINITION_ARN, release_outputs.CANARY_TASK_DEFINITION_ARN)
    arns = [str(values[name]) for name in names if values.get(name)]
    return sorted({family_of(arn) for arn in arns})


def _revisions(ecs: Any, family: str, status: str) -> Iterator[str]:
    """The family's revisions of ``status`` (the prefix also matches longer family names)."""
    pages = ecs.get_paginator("list_task_definitions").paginate(familyPrefix=family, status=status)
    for page in pages:
        for arn in page.get("taskDefinitionArns", []):
            if family_of(arn) == family:
                yield arn


def remove_task_definitions(
    ecs: Any, family: str, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Deregisters every active revision of ``family``, then deletes every inactive one. The
    inactive listing may lag the deregistrations (it is eventually consistent): it is read
    again until it holds them all."""
    deregistered = set()
    for arn in list(_revisions(ecs, family, "ACTIVE")):
        ecs.deregister_task_definition(taskDefinition=arn)
        deregistered.add(arn)
    for _ in range(LISTING_ROUNDS):
        inactive = list(_revisions(ecs, family, "INACTIVE"))
        if deregistered <= set(inactive):
            break
        sleep(LISTING_PAUSE_S)
    failed: list[str] = []
    for start in range(0, len(inactive), DELETE_BATCH):
        answer = ecs.delete_task_definitions(taskDefinitions=inactive[start : start + DELETE_BATCH])
        failed += [f"{f.get('arn')}: {f.get('reason')}" for f in answer.get("failures", [])]
    if failed:
        raise TeardownFailed(f"ECS did not delete {len(failed)} revision(s): {'; '.join(failed)}")
    return len(inactive)


def teardown(
    cli: PulumiCli,
    stack_file: str,
    aws: Callable[[str | None], Aws] = Aws.of_region,
    out: Callable[[str], None] = PRINT,
) -> int:
    try:
        preflight.pulumi_on_path()
        try:
            values = cli.outputs()
        except StackUnavailable as error:
            raise preflight.stack_missing(cli.stack, stack_file, str(error)) from None
        settings = StackSettings.of_cli(cli)
        if settings.get("protect") == "true":
            raise NotReady(
                f"stack {cli.stack} is protected (protect: true in Pulumi.{stack_file}.yaml): "
                "set it to false and deploy, then destroy"
            )
        region = cli.config("aws:region")
        clients = aws(region)
        out(f"ok    AWS: {preflight.aws_identity(clients.sts, region or 'the default region')}")
        names = regions.order(settings.values.get("regions"), values)
        out(f"..    pulumi destroy --stack {cli.stack}")
        cli.destroy()
        if not names:
            for family in families(values):
                removed = remove_task_definitions(clients.ecs, family)
                out(f"ok    ECS: {removed} revision(s) of task definition {family} deleted")
        for name in names:
            ecs = clients.ecs if name == region else aws(name).ecs
            for family in families(regions.outputs_of(values, name)):
                removed = remove_task_definitions(ecs, family)
                out(f"ok    {name}: ECS: {removed} revision(s) of task definition {family} deleted")
    except (NotReady, TeardownFailed) as failure:
        out(f"FAIL  {failure}")
        return 1
    except subprocess.CalledProcessError:
        out(f"FAIL  pulumi destroy of {cli.stack} failed: its output above says why")
        return 1
    except (BotoCoreError, ClientError) as failure:
        out(f"FAIL  {type(failure).__name__}: {failure}")
        return 1
    out(f"stack {cli.stack} is torn down; `pulumi stack rm {cli.stack}` forgets it too")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.teardown", description=__doc__)
    parser.add_argument("--stack", required=True, help="the stack, e.g. dev or my-org/dev")
    args = parser.parse_args(argv)
    return teardown(PulumiCli(args.stack), stack_file_of(args.stack))


if __name__ == "__main__":
    sys.exit(main())
