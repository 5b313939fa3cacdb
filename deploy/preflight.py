"""What a release or a teardown needs before it touches anything: the Pulumi CLI, the stack, and
AWS credentials for the stack's region. Each missing piece is one line that says what to do."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

INSTALL_PULUMI = "https://www.pulumi.com/docs/iac/download-install/"


class NotReady(Exception):
    """Something the release needs is missing; the message says what to do."""


class StackUnavailable(Exception):
    """The CLI could not read the stack; the message is the CLI's own."""


class StsClient(Protocol):
    def get_caller_identity(self) -> Any: ...


def pulumi_on_path(which: Callable[[str], str | None] = shutil.which) -> str:
    found = which("pulumi")
    if found is None:
        raise NotReady(
            f"the Pulumi CLI is not on PATH: install it ({INSTALL_PULUMI}), then `pulumi login`"
        )
    return found


def stack_missing(stack: str, stack_file: str, cli_error: str) -> NotReady:
    """The one line for a stack the CLI could not read, from what the CLI said."""
    said = cli_error.lower()
    if "no stack named" in said or "not found" in said:
        return NotReady(
            f"stack {stack} does not exist: create it with `pulumi stack init {stack}` (its "
            f"settings are Pulumi.{stack_file}.yaml), then run this again"
        )
    if "login" in said or "logged in" in said:
        return NotReady("the Pulumi CLI is not logged in: run `pulumi login`, then this again")
    first = next((line for line in cli_error.splitlines() if line.strip()), "no message")
    return NotReady(f"the Pulumi CLI cannot read stack {stack}: {first.strip()}")


def aws_identity(sts: StsClient, region: str) -> str:
    """Who the release runs as, or NotReady when no credentials reach AWS."""
    try:
        return str(sts.get_caller_identity()["Arn"])
    except NoCredentialsError:
        raise NotReady(
            "no AWS credentials: sign in (e.g. `aws sso login --profile P` and "
            "`export AWS_PROFILE=P`), then run this again"
        ) from None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise NotReady(
            f"AWS refused the credentials in {region} ({code}): sign in again, then run this again"
        ) from None
    except BotoCoreError as error:
        raise NotReady(f"AWS cannot be reached in {region}: {error}") from None
