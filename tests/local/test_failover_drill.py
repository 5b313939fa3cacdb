"""The failover drill (bench/failover_drill.py) in each consistency mode, asserting what
docs/local.md claims: under eventual consistency the regions agree once the stopped one returns,
and what went missing or was stored twice was written within the replication lag before the
stop (MREC's recovery point); under strong consistency nothing acknowledged is lost and nothing
is stored twice.

Short intervals: health checks every second, two failures to leave, a lag of half a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.failover_drill import DrillReport, drill
from local.multi_region import MultiRegion, RegionsConfig
from picus.regions import Consistency

INTERVAL_S, THRESHOLD, LAG_S = 1.0, 2, 0.5
#: Scheduling on a busy two-core machine, on top of every interval the drill depends on.
SLACK_S = 1.0


def run(consistency: Consistency, regions: tuple[str, ...]) -> DrillReport:
    config = RegionsConfig(regions, consistency, LAG_S, INTERVAL_S, THRESHOLD)
    with MultiRegion(config).running() as stack:
        return drill(stack)


@pytest.fixture(scope="module")
def eventual() -> Iterator[DrillReport]:
    yield run(Consistency.EVENTUAL, ("eu-west-1", "us-east-1"))


def test_eventual_fails_over_within_the_health_checks_and_converges(eventual: DrillReport) -> None:
    assert eventual.converged
    # Requests go to the stopped region until its checks fail THRESHOLD times in a row.
    assert 0 < eventual.failover_s <= INTERVAL_S * (THRESHOLD + 1) + SLACK_S
    # Once the checks have switched, every request is served by the next region.
    assert eventual.failed_after_switch == 0
    assert eventual.acked_writes > 0 and eventual.requests > eventual.failed_requests


def test_eventual_loses_only_what_was_written_within_the_lag_before_the_stop(
    eventual: DrillReport,
) -> None:
    window = LAG_S + SLACK_S
    for ack in eventual.missing_in_outage:
        assert ack.region == "eu-west-1"
        assert eventual.stopped_at - window <= ack.acked, ack
    # Once the stopped region is back its writes are replicated: a later write may have won
    # an item, but only one made within the lag.
    for ack in eventual.lost:
        assert eventual.stopped_at - window <= ack.acked, ack
    puts = {ack.idem: ack for ack in eventual.acks if "replaced" not in ack.payload}
    for idem in eventual.doubled:
        ack = puts[idem]
        # Its first attempt reached the stopped region within the lag and got no answer.
        assert ack.first_failed is not None and ack.first_failed >= eventual.stopped_at - window
        assert ack.first_sent >= eventual.stopped_at - window


@pytest.fixture(scope="module")
def strong() -> Iterator[DrillReport]:
    # Two replicas and the witness DynamoDB places in their region set.
    yield run(Consistency.STRONG, ("eu-west-1", "eu-west-2"))


def test_strong_loses_nothing_acknowledged_and_stores_nothing_twice(strong: DrillReport) -> None:
    assert strong.converged
    assert 0 < strong.failover_s <= INTERVAL_S * (THRESHOLD + 1) + SLACK_S
    assert strong.failed_after_switch == 0
    assert strong.acked_writes > 0
    assert strong.missing_in_outage == []
    assert strong.lost == []
    assert strong.doubled == []
