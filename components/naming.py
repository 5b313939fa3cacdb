"""Physical names: every stack's resources carry the stack in their names, so any number of
stacks can share one AWS account and region without colliding.

Pulumi names each resource after its logical name plus ``-`` and 7 random hex characters
(auto-naming), so a replacement can be created before the old one is deleted. Only the tables
have names of their own: the data table's is part of the contract (``picus_data``, which the
service reads by default and the production stack pins), and every other stack gets
``picus_data-<stack>``. The idempotency table's follows the data table's (``picus_idempotency``,
``picus_idempotency-<stack>``), so that ``serve --aws-table`` finds it from the one name.
"""

from __future__ import annotations

import re
from typing import Final

from picus.contract import IDEMPOTENCY_TABLE_NAME, TABLE_NAME

PROJECT: Final = "picus"
#: What pulumi-aws appends to a logical name: "-" and 7 random hex characters.
AUTONAME_SUFFIX: Final = 8
#: AWS's limit for load balancer and target group names, the tightest of this program's.
ELB_NAME_LIMIT: Final = 32
#: The longest logical name under ELB_NAME_LIMIT is f"{PROJECT}-{stack}-{LONGEST_ELB_CHILD}".
LONGEST_ELB_CHILD: Final = "delete-tg"
#: Lower case only: ECR repositories and S3 buckets take no capitals.
STACK_NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]*")
MAX_STACK_NAME: Final = ELB_NAME_LIMIT - AUTONAME_SUFFIX - len(f"{PROJECT}--{LONGEST_ELB_CHILD}")


def stack_prefix(stack: str) -> str:
    """The logical-name prefix of every resource of a stack."""
    return f"{PROJECT}-{stack}"


def table_name(stack: str, configured: str) -> str:
    """The table's name: as configured, or the contract's name carrying the stack."""
    return configured or f"{TABLE_NAME}-{stack}"


#: What ``idempotency_table_name`` appends to a data table named otherwise than the contract.
_IDEMPOTENCY_SUFFIX: Final = "-idempotency"


def idempotency_table_name(table: str) -> str:
    """The idempotency table beside the data table ``table``: the contract's data name replaced
    by the contract's idempotency name (``picus_data-dev`` -> ``picus_idempotency-dev``); a data
    table named otherwise gets ``-idempotency`` appended. With the data names
    ``table_name_problems`` lets through, distinct data names give distinct idempotency names,
    none of them another stack's data name: stacks that share an account share no table."""
    if table.startswith(TABLE_NAME):
        return IDEMPOTENCY_TABLE_NAME + table.removeprefix(TABLE_NAME)
    return table + _IDEMPOTENCY_SUFFIX


def table_name_problems(table: str) -> list[str]:
    """A data table name that some stack's idempotency table could also bear."""
    appended = not table.startswith(TABLE_NAME) and table.endswith(_IDEMPOTENCY_SUFFIX)
    if table.startswith(IDEMPOTENCY_TABLE_NAME) or appended:
        return [
            f"picus:tableName {table!r} may not begin with {IDEMPOTENCY_TABLE_NAME!r} or end "
            f"with {_IDEMPOTENCY_SUFFIX!r}: those name the tables of Idempotency-Key records"
        ]
    return []


def stack_name_problems(stack: str) -> list[str]:
    if not STACK_NAME_PATTERN.fullmatch(stack) or stack.endswith("-"):
        return [
            f"the stack name {stack!r} must be lower-case letters, digits and inner hyphens: "
            "it goes into ECR repository and S3 bucket names"
        ]
    if len(stack) > MAX_STACK_NAME:
        return [
            f"the stack name {stack!r} is longer than {MAX_STACK_NAME} characters: its load "
            f"balancer and target group names would pass AWS's {ELB_NAME_LIMIT}-character limit"
        ]
    return []
