"""What each of the API's promises (docs/guarantees.md) keeps across regions, per consistency
mode: one table, which the guarantees page renders and each operation's description in the
OpenAPI document quotes.

A stack of one region keeps every promise as the page states it. Several regions share one
global table per purpose, and what a promise keeps depends on where DynamoDB evaluates a
condition and what a strongly consistent read sees in that mode ("How DynamoDB global tables
work", ``DG`` below; AWS Prescriptive Guidance's overview, ``PG``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from picus.contract import GET_PATH, ITEM_PATH, LIST_PATH, PUT_PATH
from picus.regions import Consistency

DG: Final = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"
PG: Final = (
    "https://docs.aws.amazon.com/prescriptive-guidance/latest/dynamodb-global-tables/overview.html"
)
SCAN: Final = "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Scan.html"


class Holds(enum.StrEnum):
    """How far a promise reaches."""

    EVERYWHERE = "holds across regions"
    IN_REGION = "holds within one region only"
    NO = "does not hold"


@dataclass(frozen=True)
class Verdict:
    holds: Holds
    #: Why, in one sentence a client can act on.
    reason: str
    #: AWS's words it rests on, each with the page that says them.
    quotes: tuple[tuple[str, str], ...]
    #: Where AWS states it for reads and the API extends it to another call: our reading.
    inferred: str = ""


@dataclass(frozen=True)
class Guarantee:
    name: str
    #: The operations (method and path of the OpenAPI document) whose answers it is about.
    operations: tuple[str, ...]
    eventual: Verdict
    strong: Verdict

    def verdict(self, mode: Consistency) -> Verdict:
        return self.eventual if mode is Consistency.EVENTUAL else self.strong


_LOCAL_CONDITION = (
    "Conditional writes evaluate the condition expression against the version of the item in "
    "the Region.",
    DG,
)
_LWW = (
    "DynamoDB will resolve the conflict by using the modification with the latest internal "
    'timestamp on a per-item basis, referred to as a "last writer wins" conflict resolution '
    "method.",
    DG,
)
_LATEST_CONDITION = (
    "Conditional writes always evaluate the condition expression against the latest version "
    "of an item.",
    DG,
)
_CONFLICT = (
    "A write operation fails with a ReplicatedWriteConflictException when it attempts to modify "
    "an item that is already being modified in another Region.",
    DG,
)
_LOCAL_READ = (
    "[Strongly consistent reads] return the latest version of an item if that item was last "
    "updated in the Region where the read occurred, but may return stale data if the item was "
    "last updated in a different Region.",
    DG,
)
_LATEST_READ = (
    "Strongly consistent read operations on any MRSC replica always return the latest version "
    "of an item.",
    DG,
)

GUARANTEES: Final = (
    Guarantee(
        "A conditional write (If-Match) has a single winner",
        (f"PUT {ITEM_PATH}", f"DELETE {ITEM_PATH}"),
        Verdict(
            Holds.IN_REGION,
            "Writers of one version in two regions can both get 200 within the replication "
            "lag; last writer wins keeps one, and the other's acknowledged replace is "
            "overwritten.",
            (_LOCAL_CONDITION, _LWW),
        ),
        Verdict(
            Holds.EVERYWHERE,
            "The condition is evaluated against the latest version in every region; a write "
            "another region is making at that moment is refused (503 with Retry-After): retry "
            "it.",
            (_LATEST_CONDITION, _CONFLICT),
        ),
    ),
    Guarantee(
        "An Idempotency-Key creates once",
        (f"POST {PUT_PATH}",),
        Verdict(
            Holds.IN_REGION,
            "The item and the key's record are one transaction in the region that wrote them; "
            "a retry that reaches another region before they replicated (after a failover, "
            "typically within a second) can store a second item.",
            (
                (
                    "DynamoDB transaction operations (TransactWriteItems and TransactGetItems) "
                    "are only atomic within the Region where the operation was invoked.",
                    DG,
                ),
                _LOCAL_CONDITION,
            ),
        ),
        Verdict(
            Holds.EVERYWHERE,
            "The key is claimed first by a conditional write that sees every region's claims "
            "(no transaction); a claim another region is writing at that moment is 409 "
            "idempotency_key_in_use: retry it.",
            (_LATEST_CONDITION, _CONFLICT),
        ),
    ),
    Guarantee(
        "A read sees the latest acknowledged write",
        (f"GET {ITEM_PATH}", f"GET {GET_PATH}"),
        Verdict(
            Holds.IN_REGION,
            "A read sees the latest write made in its own region; a write made in another "
            "region may be missing, or an older version shown, for the replication lag.",
            (_LOCAL_READ,),
        ),
        Verdict(Holds.EVERYWHERE, "A read in any region sees the latest write.", (_LATEST_READ,)),
    ),
    Guarantee(
        "A list traversal sees every acknowledged item",
        (f"GET {LIST_PATH}",),
        Verdict(
            Holds.IN_REGION,
            "As for a read, page by page: items written in another region within the "
            "replication lag may be missing, and deleted ones still listed.",
            (_LOCAL_READ,),
        ),
        Verdict(
            Holds.EVERYWHERE,
            "Each page is a strongly consistent scan, which in any region sees the latest writes.",
            (
                _LATEST_READ,
                (
                    "If ConsistentRead is true, all of the write operations that completed "
                    "before the Scan began are guaranteed to be contained in the Scan response.",
                    SCAN,
                ),
            ),
            inferred="AWS states it for strongly consistent reads; that a scan follows the "
            "same ConsistentRead semantics across regions is our reading",
        ),
    ),
    Guarantee(
        "No acknowledged write is lost when a region fails",
        (f"POST {PUT_PATH}", f"PUT {ITEM_PATH}", f"DELETE {ITEM_PATH}"),
        Verdict(
            Holds.NO,
            "Writes not yet replicated when their region fails are missing elsewhere until it "
            "returns (the recovery point is the replication delay, usually a few seconds); "
            "they are replicated then, and may lose to later writes by last writer wins.",
            (
                (
                    "MREC global tables have a Recovery Point Objective (RPO) equal to the "
                    "replication delay between replicas, usually a few seconds",
                    DG,
                ),
                (
                    "any data not yet replicated to other Regions will be replicated when the "
                    "replica becomes healthy.",
                    DG,
                ),
                _LWW,
            ),
        ),
        Verdict(
            Holds.EVERYWHERE,
            "A write is acknowledged once another region holds it (a recovery point of zero); "
            "a region that cannot reach a second region refuses writes and strongly "
            "consistent reads, which the API answers 503.",
            (
                ("MRSC global tables support a Recovery Point Objective (RPO) of zero.", DG),
                (
                    "If a second Region isn't available, the local Region can service only "
                    "eventually consistent reads.",
                    PG,
                ),
            ),
        ),
    ),
    Guarantee(
        "A delete stays deleted",
        (f"DELETE {ITEM_PATH}",),
        Verdict(
            Holds.NO,
            "A delete and a write of one item in two regions within the replication lag are "
            "settled by last writer wins: a deleted item can come back, or a replace vanish.",
            (_LWW,),
        ),
        Verdict(
            Holds.EVERYWHERE,
            "A delete with If-Match is evaluated against the latest version in every region.",
            (_LATEST_CONDITION,),
        ),
    ),
)


def for_operation(method: str, path: str) -> tuple[Guarantee, ...]:
    """The promises an operation's answers are about, in the table's order."""
    operation = f"{method.upper()} {path}"
    return tuple(g for g in GUARANTEES if operation in g.operations)
