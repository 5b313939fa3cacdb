"""What a stack of several regions costs a month: each region's own stack, as bench/cost.py
prices one, at its share of the traffic, and what replication adds.

- Replicated writes: every item a region writes is written again in each other replica,
  billed there as replicated write units at the on-demand write price ("Replicated write
  units (rWCUs and rWRUs) are priced the same as single-Region write units", "Understanding
  Amazon DynamoDB billing for global tables", https://docs.aws.amazon.com/amazondynamodb/latest/
  developerguide/global-tables-billing.html). A transaction's items replicate as plain writes.
- Storage of each replica beyond the first (the one-region model leaves a table's storage out).
- Strong mode's idempotency records, which no TTL deletes: each month of keyed puts adds its
  records to every replica, for good.
- Route 53: three health checks per region (its load balancer's /health, its 5xx alarm, and the
  calculated one both make, components/domain_record.py), options priced on the first: the
  fast interval and HTTPS. The
  latency records are alias records of the load balancers, whose queries Route 53 does not
  charge ("Alias queries" on https://aws.amazon.com/route53/pricing/).
- DynamoDB's witness (strong, two regions) costs nothing: "Global tables using multi-Region
  strong consistency (MRSC) mode configured with a witness don't incur replicated write unit
  costs (rWCUs and rWRUs), storage costs, or data transfer costs for replication to the
  witness." (the same billing page).

Every region is priced at the stack's own region's prices. Not counted: cross-region data
transfer of replication, the first copy of existing items into a new replica.
"""

from __future__ import annotations

from typing import Final

from bench.cost import (
    SECONDS_PER_MONTH,
    Estimate,
    StackSettings,
    Workload,
    estimate,
    item_write_units,
)
from bench.prices import prices_for
from picus.regions import (
    DYNAMODB_NAMES,
    HEALTH_CHECK_INTERVALS,
    STRONG_REGION_COUNT,
    Consistency,
    idempotency_record_bytes,
)

REPLICATED_WRITES: Final = "DynamoDB replicated writes"
REPLICA_STORAGE: Final = "DynamoDB storage of the other replicas"
KEPT_RECORDS: Final = "idempotency records kept (strong: no TTL), each month's"
HEALTH_CHECKS: Final = "Route 53 health checks"
#: A region's /health check, its 5xx alarm's check, and the calculated check the record names.
CHECKS_PER_REGION: Final = 3
#: The table's size the storage of each other replica is priced at, unless given.
STORED_GB: Final = 10.0


class BadRegions(ValueError):
    """A number of regions the mode cannot have."""


def check(regions: int, mode: Consistency) -> None:
    if regions < 1:
        raise BadRegions("--regions is the number of regions, at least 1")
    if mode is Consistency.STRONG and regions not in (STRONG_REGION_COUNT - 1, STRONG_REGION_COUNT):
        raise BadRegions(
            f"strong consistency takes exactly {STRONG_REGION_COUNT} regions, or "
            f"{STRONG_REGION_COUNT - 1} and a witness (here {regions})"
        )


def replicated_write_units(w: Workload) -> float:
    """Write units an average request makes each other replica write: the item of a put or a
    delete, and a keyed put's record twice (written, then, in eventual mode, deleted by TTL,
    whose delete is replicated and billed; in strong mode, marked stored)."""
    item = item_write_units(w)
    put = (1 - w.keyed_puts) * item + w.keyed_puts * (item + 2)
    return w.puts * put + w.deletes * item


def health_check_options(s: StackSettings) -> int:
    """The priced options of each region's health check: the fast interval, HTTPS."""
    return int(s.health_check_interval == min(HEALTH_CHECK_INTERVALS)) + int(s.https)


def regional_estimate(
    s: StackSettings,
    rate: float,
    w: Workload,
    regions: int,
    mode: Consistency,
    stored_gb: float = STORED_GB,
) -> Estimate:
    """The monthly cost of ``regions`` regions serving ``rate`` requests/s between them,
    evenly, their tables in ``mode``: each region's stack, then what replication adds."""
    check(regions, mode)
    prices = prices_for(s.region)
    one = estimate(s, rate / regions, w, mode=mode)
    components = {name: cost * regions for name, cost in one.components.items()}
    if regions > 1:
        monthly = rate * SECONDS_PER_MONTH
        others = regions - 1
        storage = prices["dynamodb_storage"].usd
        components[REPLICATED_WRITES] = (
            monthly * replicated_write_units(w) * others / 1e6 * prices["dynamodb_write"].usd
        )
        components[REPLICA_STORAGE] = stored_gb * others * storage
        kept = 0.0
        if mode is Consistency.STRONG:
            records_gb = monthly * w.puts * w.keyed_puts * idempotency_record_bytes() / 1e9
            kept = records_gb * regions * storage
        components[KEPT_RECORDS] = kept
        components[HEALTH_CHECKS] = regions * (
            CHECKS_PER_REGION * prices["route53_health_check"].usd
            + health_check_options(s) * prices["route53_health_check_option"].usd
        )
    return Estimate(rate, one.tasks * regions, one.above_max, components)


def describe(regions: int, mode: Consistency) -> str:
    if regions == 1:
        return "1 region"
    witness = (
        " and a witness" if mode is Consistency.STRONG and regions < STRONG_REGION_COUNT else ""
    )
    return f"{regions} regions{witness}, {mode} ({DYNAMODB_NAMES[mode]})"


#: The layouts the cost page compares.
LAYOUTS: Final = (
    (1, Consistency.EVENTUAL),
    (2, Consistency.EVENTUAL),
    (3, Consistency.EVENTUAL),
    (2, Consistency.STRONG),
    (3, Consistency.STRONG),
)


def regions_table(s: StackSettings, rate: float, w: Workload) -> str:
    """The cost page's comparison: one stack at one rate, in each layout."""
    estimates = [(describe(n, mode), regional_estimate(s, rate, w, n, mode)) for n, mode in LAYOUTS]
    added = (REPLICATED_WRITES, REPLICA_STORAGE, KEPT_RECORDS, HEALTH_CHECKS)
    lines = [
        f"**{s.stack}** at {rate:g} requests/s in all, evenly between the regions, priced at "
        f"{s.region}'s prices; each other replica stores {STORED_GB:g} GB; health checks every "
        f"{s.health_check_interval} s{', HTTPS' if s.https else ''}.",
        "",
        "| per month | the regions' own stacks | " + " | ".join(added) + " | total | per million |",
        "|---|---|" + "---|" * len(added) + "---|---|",
    ]
    for label, e in estimates:
        stack = sum(cost for name, cost in e.components.items() if name not in added)
        cells = [f"${e.components.get(name, 0.0):,.2f}" for name in added]
        lines.append(
            f"| {label} | ${stack:,.2f} | {' | '.join(cells)} | **${e.total:,.2f}** "
            f"| ${e.per_million:,.2f} |"
        )
    return "\n".join(lines) + "\n"


def with_regions(
    s: StackSettings, regions: int | None, mode: str | None
) -> tuple[int, Consistency]:
    """The layout to price: the given one, or the stack's own."""
    consistency = Consistency(mode) if mode else s.consistency
    count = regions if regions is not None else len(s.regions)
    check(count, consistency)
    return count, consistency
