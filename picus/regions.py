"""Several regions serving one API: the names and limits that the stack, the local multi-region
origin and the docs share.

A multi-region stack runs one ApiCluster per region on DynamoDB global tables, in one of the two
consistency modes DynamoDB offers ("Consistency modes",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html),
behind Route 53 latency records whose health checks take a failing region out of the answer.
"""

from __future__ import annotations

import enum
from typing import Final


class Consistency(enum.StrEnum):
    """A global table's multi-region consistency mode."""

    #: MREC: a write is acknowledged by its region and replicated asynchronously, typically
    #: within a second; a conflict between regions is settled by last writer wins.
    EVENTUAL = "eventual"
    #: MRSC: a write is acknowledged once another region holds it too; a strongly consistent
    #: read in any region sees it.
    STRONG = "strong"


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
