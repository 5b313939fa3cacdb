"""Several regions serving one API: the names and limits that the stack, the local multi-region
origin and the docs share.

A multi-region stack runs one ApiCluster per region on DynamoDB global tables, in one of the two
consistency modes DynamoDB offers ("Consistency modes",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html),
behind Route 53 latency records whose health checks take a failing region out of the answer.
"""

from __future__ import annotations

import enum
import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import Final

from picus import contract


class Consistency(enum.StrEnum):
    """A global table's multi-region consistency mode."""

    #: MREC: a write is acknowledged by its region and replicated asynchronously, typically
    #: within a second; a conflict between regions is settled by last writer wins.
    EVENTUAL = "eventual"
    #: MRSC: a write is acknowledged once another region holds it too; a strongly consistent
    #: read in any region sees it.
    STRONG = "strong"


#: Each mode's name in DynamoDB's documentation.
DYNAMODB_NAMES: Final = {Consistency.EVENTUAL: "MREC", Consistency.STRONG: "MRSC"}

#: Route 53's two request intervals for a health check, in seconds ("Values that you specify
#: when you create or update health checks", Request interval).
HEALTH_CHECK_INTERVALS: Final = (10, 30)
#: Failures in a row before a health checker calls an endpoint unhealthy (Failure threshold).
HEALTH_CHECK_FAILURE_THRESHOLDS: Final = range(1, 11)
#: The stack's defaults: a region that stops answering leaves DNS answers within about
#: interval x threshold seconds, plus the record's TTL.
HEALTH_CHECK_INTERVAL: Final = 10
HEALTH_CHECK_FAILURE_THRESHOLD: Final = 3

#: The regions of one MRSC global table must all lie in one of these sets, the witness too
#: ("Multi-Region strong consistency", How DynamoDB global tables work: "MRSC global tables
#: cannot span Region sets").
STRONG_REGION_SETS: Final = (
    frozenset({"us-east-1", "us-east-2", "us-west-2"}),
    frozenset({"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}),
    frozenset({"ap-northeast-1", "ap-northeast-2", "ap-northeast-3"}),
)
#: "A MRSC global table must be deployed in exactly three Regions": three replicas, or two
#: replicas and a witness, which holds no data and takes no reads or writes.
STRONG_REGION_COUNT: Final = 3

#: Where each consistency mode's picus service keeps its promises (docs/guarantees.md):
#: MRSC refuses transactions ("do not support transaction operations, and will return an error
#: if those operations are invoked on an MRSC replica"), so under it a keyed put claims its
#: Idempotency-Key first and then writes the item, each one conditional write. The service
#: reads the mode from this variable; the stack sets it on every task.
CONSISTENCY_ENV: Final = "PICUS_CONSISTENCY"

#: MREC's replication delay as AWS describes it ("typically within a second or less"; no SLA):
#: the local stand-in's default lag, and so the default loss window of a region that fails.
TYPICAL_REPLICATION_LAG_S: Final = 1.0


@dataclass(frozen=True)
class Constraint:
    """What a mode asks of a stack, in AWS's words and ours."""

    rule: str
    quote: str
    source: str


_DG: Final = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"

#: What each mode asks of a stack and of its tables (docs/guarantees.md, "Several regions").
CONSTRAINTS: Final[dict[Consistency, tuple[Constraint, ...]]] = {
    Consistency.EVENTUAL: (
        Constraint(
            "A one-region table becomes global in place, keeping its items; a region joins or "
            "leaves in one update, the first staying (Releases, Changing a running stack).",
            "You create a MREC global table by adding a replica to an existing DynamoDB table.",
            _DG,
        ),
    ),
    Consistency.STRONG: (
        Constraint(
            f"Exactly {STRONG_REGION_COUNT} regions of one MRSC region set (US, EU, AP), or two "
            "and a witness (witnessRegion) in the same set.",
            "A MRSC global table must be deployed in exactly three Regions. You can configure a "
            "MRSC global table with three replicas, or with two replicas and one witness.",
            _DG,
        ),
        Constraint(
            "No transactions: a keyed put claims its key, writes the item, then marks the key "
            "stored, each one conditional write.",
            "Global tables configured for multi-Region strong consistency (MRSC) do not support "
            "transaction operations",
            _DG,
        ),
        Constraint(
            "No TTL: expired Idempotency-Key records no longer count but stay, "
            "{record_bytes} bytes each, {gb_per_million:g} GB per million keyed puts in each "
            "region's replica.",
            "Time to Live (TTL) is not supported for MRSC global tables.",
            _DG,
        ),
        Constraint(
            "Only an empty table becomes strong, and the mode is fixed when the table becomes "
            "global: a stack holding items cannot switch to strong, nor back.",
            "You cannot change a global table's consistency mode after creation.",
            _DG,
        ),
        Constraint(
            "No region added or removed later: a stack's regions are fixed with its tables.",
            "You cannot add additional replicas to an existing MRSC global table. You cannot "
            "delete a single replica or a witness from a MRSC global table.",
            _DG,
        ),
    ),
}

#: DynamoDB bills each item's raw bytes plus 100 bytes of overhead for indexing (on-demand
#: pricing, "Data storage", https://aws.amazon.com/dynamodb/pricing/on-demand/).
ITEM_STORAGE_OVERHEAD_BYTES: Final = 100


def idempotency_record_bytes() -> int:
    """The bytes one Idempotency-Key record takes in a table (service/keyed_put.py writes it):
    each attribute's name and value in DynamoDB's sizes ("Item sizes and formats": a string
    its UTF-8 bytes, a number one byte per two significant digits and one more, a boolean
    one), plus the per-item overhead."""
    digest = 2 * hashlib.sha256().digest_size  # the request key and the body's fingerprint
    expires = str(10**10 - 1)  # epoch seconds until the year 2286
    created = "2000-01-01T00:00:00.000Z"  # service/items.py's utc_now, milliseconds
    attributes = {
        contract.IDEMPOTENCY_PARTITION_KEY: digest,
        contract.IDEMPOTENCY_OBJECT_ID: len(str(uuid.UUID(int=0))),
        contract.CREATED_AT: len(created),
        contract.IDEMPOTENCY_FINGERPRINT: digest,
        contract.IDEMPOTENCY_EXPIRES_AT: math.ceil(len(expires) / 2) + 1,
        contract.IDEMPOTENCY_STORED: 1,
    }
    names = sum(len(name.encode()) for name in attributes)
    return names + sum(attributes.values()) + ITEM_STORAGE_OVERHEAD_BYTES


def constraints(mode: Consistency) -> tuple[Constraint, ...]:
    """The mode's constraints, the record's size filled in."""
    size = idempotency_record_bytes()
    return tuple(
        Constraint(
            c.rule.format(record_bytes=size, gb_per_million=size * 1e6 / 1e9), c.quote, c.source
        )
        for c in CONSTRAINTS[mode]
    )
