"""Physical names: every stack's resources carry the stack in their names, so any number of
stacks can share one AWS account and region without colliding.

Pulumi names each resource after its logical name plus ``-`` and 7 random hex characters
(auto-naming), so a replacement can be created before the old one is deleted. A load balancer
or target group whose auto-name would pass AWS's 32 characters gets an explicit name instead
(``elb_name``): a prefix of its logical name and a hash that changes with every input whose
change replaces it, so a replacement still gets a name of its own. The tables have names of
their own too: the data table's is part of the contract (``picus_data``, which the
service reads by default and the production stack pins), and every other stack gets
``picus_data-<stack>``. The idempotency table's follows the data table's (``picus_idempotency``,
``picus_idempotency-<stack>``), so that ``serve --aws-table`` finds it from the one name.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final, TypeAlias

from picus.contract import IDEMPOTENCY_TABLE_NAME, TABLE_NAME

PROJECT: Final = "picus"
#: What pulumi-aws appends to a logical name: "-" and 7 random hex characters.
AUTONAME_SUFFIX: Final = 8
#: AWS's limit for load balancer and target group names, the tightest of this program's.
ELB_NAME_LIMIT: Final = 32
#: The hex characters of the hash that ends an explicit load balancer or target group name.
#: Not 7: an explicit name then never equals an auto-name, whose last 7 characters follow its
#: last hyphen. 40 bits: two names that share their readable prefix differ in the hash.
ELB_HASH_LENGTH: Final = 10
#: The longest logical name under ELB_NAME_LIMIT is f"{PROJECT}-{stack}-{LONGEST_ELB_CHILD}".
LONGEST_ELB_CHILD: Final = "delete-tg"
#: Lower case only: ECR repositories and S3 buckets take no capitals.
STACK_NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9-]*")
#: The longest stack name the program accepts: 64, AWS's limit on IAM role and Lambda function
#: names, the tightest after the ELB's 32. Load balancer and target group names fit
#: ELB_NAME_LIMIT for any stack name up to it (``elb_name``, tests/components/test_naming.py).
MAX_NAME: Final = 64
#: The longest stack name whose load balancer and target groups are still auto-named: every
#: stack name accepted before explicit names existed, so those stacks keep their physical
#: names. A stack name up to MAX_NAME is accepted; past this one its ELB names are explicit.
MAX_STACK_NAME: Final = ELB_NAME_LIMIT - AUTONAME_SUFFIX - len(f"{PROJECT}--{LONGEST_ELB_CHILD}")

#: The inputs whose change makes pulumi-aws replace a load balancer or a target group rather
#: than update it: "ForceNew" in the schema of terraform-provider-aws, which pulumi-aws bridges
#: (internal/service/elbv2/load_balancer.go and target_group.go; the target group's are also
#: "Forces new resource" in website/docs/r/lb_target_group.html.markdown). They are the
#: parameters of CreateLoadBalancer and CreateTargetGroup that no Modify*/Set* call of the ELB
#: API takes, which tests/components/test_naming.py checks against botocore's model. Region is
#: left out: a name is unique per region, so a resource in another region cannot collide.
#: A load balancer's ``subnet_mapping`` (and a network load balancer's ``subnets`` and
#: ``security_groups``) replace it only for some changes; this program sets none of them.
LOAD_BALANCER_REPLACED_BY: Final = frozenset(
    {"internal", "load_balancer_type", "customer_owned_ipv4_pool"}
)
TARGET_GROUP_REPLACED_BY: Final = frozenset(
    {"port", "protocol", "protocol_version", "target_type", "vpc_id", "ip_address_type"}
)

#: An input's value, as it goes into the hash of an explicit name.
Scalar: TypeAlias = str | int | bool | None


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


#: The longest ApiCluster name: room for the stack program's, picus-<stack>, whatever the stack.
MAX_CLUSTER_NAME: Final = len(stack_prefix("x" * MAX_NAME))


def stack_name_problems(
    stack: str, what: str = "the stack name", longest: int = MAX_NAME
) -> list[str]:
    """What keeps ``stack`` (or an ApiCluster's name, ``what``) from naming resources: every
    logical name begins with it."""
    if not STACK_NAME_PATTERN.fullmatch(stack) or stack.endswith("-"):
        return [
            f"{what} {stack!r} must be lower-case letters, digits and inner hyphens: "
            "it goes into ECR repository and S3 bucket names"
        ]
    if len(stack) > longest:
        return [f"{what} {stack!r} is longer than the {longest} characters the program accepts"]
    return []


#: What AWS allows in a load balancer's or target group's name.
_NOT_IN_ELB_NAME: Final = re.compile(r"[^A-Za-z0-9-]+")
#: AWS refuses a load balancer name that begins with "internal-".
_INTERNAL: Final = re.compile(r"^(?:internal(?:-+|$))+", re.IGNORECASE)


def autonamed(logical: str, limit: int) -> bool:
    """Whether pulumi-aws's auto-name of ``logical`` ("-" and 7 random hex characters after
    it) fits AWS's ``limit``: then the program names nothing, as it always has."""
    return len(logical) + AUTONAME_SUFFIX <= limit


def _hashed(readable: str, limit: int, identity: list[Any]) -> str:
    """The start of ``readable`` and ELB_HASH_LENGTH hex characters of SHA-256 over
    ``identity``, within ``limit``."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:ELB_HASH_LENGTH]
    prefix = readable[: limit - 1 - ELB_HASH_LENGTH].strip("-")
    return f"{prefix}-{digest}" if prefix else digest


def elb_name(
    logical: str, replaced_by: Mapping[str, Scalar] | None = None, scope: str = ""
) -> str | None:
    """The physical name of a load balancer or target group named ``logical``: None where
    pulumi-aws's auto-name (``logical``, "-" and 7 random hex characters) fits ELB_NAME_LIMIT,
    so such a resource is named exactly as it always was; else an explicit name.

    An explicit name is the readable start of ``logical`` (AWS's characters only, no hyphen
    at either end, never "internal-") and a hash of ``logical`` and of ``replaced_by``: the
    resource's inputs whose change replaces it (``LOAD_BALANCER_REPLACED_BY``,
    ``TARGET_GROUP_REPLACED_BY``; an input that is None is unset), and of ``scope`` (the
    project and stack, ``load_balancer.stack_scope``): another stack's resource of the same
    logical name gets another name, where AWS would otherwise hand the second stack the first
    one's identical target group (CreateTargetGroup succeeds on a group of that name and
    settings). Two resources share a name only if ELB_HASH_LENGTH hex characters of SHA-256
    collide, and a replacement gets a name the resource it replaces does not hold, so Pulumi
    can create it before it deletes the old one, as it does with auto-names.
    """
    if autonamed(logical, ELB_NAME_LIMIT):
        return None
    return explicit_elb_name(logical, replaced_by or {}, scope)


def explicit_elb_name(logical: str, replaced_by: Mapping[str, Scalar], scope: str = "") -> str:
    """``elb_name``'s explicit name, whether or not the auto-name would fit."""
    inputs = {key: value for key, value in replaced_by.items() if value is not None}
    readable = _INTERNAL.sub("", _NOT_IN_ELB_NAME.sub("-", logical).strip("-"))
    return _hashed(readable, ELB_NAME_LIMIT, [scope, logical, inputs])


#: AWS's limits on the other names pulumi-aws makes from a logical name, past which its
#: auto-namer refuses ("plus 7 random chars is longer than maximum length"): IAM roles and
#: Lambda functions take 64 characters, S3 buckets 63.
IAM_ROLE_NAME_LIMIT: Final = 64
LAMBDA_NAME_LIMIT: Final = 64
S3_BUCKET_NAME_LIMIT: Final = 63
#: What terraform-provider-aws appends to a ``name_prefix`` or ``bucket_prefix``: 26
#: characters of a unique id (its id.PrefixedUniqueId), so a prefix leaves room for them.
PREFIX_SUFFIX: Final = 26


def name_prefix(logical: str, limit: int) -> str | None:
    """For a resource whose name AWS caps at ``limit`` and that takes a name prefix (an IAM
    role's ``name_prefix``, a bucket's ``bucket_prefix``): None where the auto-name fits, so
    the resource is named as it always was; else the readable start of ``logical``, which the
    provider completes with a unique id, as unique as an auto-name and as free to be replaced
    before the old one is deleted."""
    if autonamed(logical, limit):
        return None
    return logical[: limit - PREFIX_SUFFIX - 1].rstrip("-") + "-"


def capped_name(logical: str, limit: int, scope: str) -> str | None:
    """For a resource whose name AWS caps at ``limit`` and that takes no prefix (a Lambda
    function): None where the auto-name fits; else the readable start of ``logical`` and a
    hash of it and of ``scope`` (the project and stack, ``load_balancer.stack_scope``), unique
    per stack and cluster. Nothing this program sets replaces such a resource but its name,
    which changes with its logical name."""
    if autonamed(logical, limit):
        return None
    return _hashed(logical, limit, [scope, logical])


#: What a name AWS takes as given (an ECS cluster, a task family, a dashboard) may not hold.
_NOT_IN_GIVEN_NAME: Final = re.compile(r"[^A-Za-z0-9_-]+")


def stack_scoped(cluster: str, stack: str) -> str:
    """What a cluster's names that AWS takes as given begin with (an ECS cluster and task
    families, which ECS shares with whoever names them alike, and a dashboard, which a second
    PutDashboard overwrites): the cluster's name where it already names the stack (the stack
    program's ``picus-<stack>``, as every stack has had them), else the cluster's and the
    stack's, so that two stacks of one program in one account share none of them."""
    if cluster.endswith(f"-{stack}"):
        return cluster
    return _NOT_IN_GIVEN_NAME.sub("-", f"{cluster}-{stack}")
