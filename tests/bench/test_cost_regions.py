"""The cost of several regions (bench/cost_regions.py): each region's own stack at its share of
the rate, and replication's additions, each worked out from the price table."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.cost import SECONDS_PER_MONTH, Workload, estimate, put_write_units, stack_settings
from bench.cost_regions import (
    CHECKS_PER_REGION,
    HEALTH_CHECKS,
    KEPT_RECORDS,
    REPLICA_STORAGE,
    REPLICATED_WRITES,
    STORED_GB,
    BadRegions,
    regional_estimate,
)
from bench.prices import BOOKS
from picus.regions import Consistency, idempotency_record_bytes

DEV = stack_settings("dev")
PRICES = BOOKS[DEV.region]
EVENTUAL, STRONG = Consistency.EVENTUAL, Consistency.STRONG


def test_two_eventual_regions_worked_out_from_the_price_table() -> None:
    # 10 requests/s: 26.28 million a month; 15 % keyed puts of a 1 KB item, 5 % deletes.
    w = Workload(gets=0.80, puts=0.15, deletes=0.05, keyed_puts=1.0, item_bytes=1_000)
    e = regional_estimate(DEV, 10, w, 2, EVENTUAL)
    monthly = 10 * SECONDS_PER_MONTH
    assert monthly == 26_280_000
    # A keyed put replicates its item (1 unit) and its record twice (written, then TTL's
    # delete): 3 units; a delete, 1. Per request: 0.15 x 3 + 0.05 x 1 = 0.5.
    rwru = monthly * 0.5
    assert e.components[REPLICATED_WRITES] == pytest.approx(
        rwru / 1e6 * PRICES["dynamodb_write"].usd
    )
    assert e.components[REPLICA_STORAGE] == pytest.approx(
        STORED_GB * PRICES["dynamodb_storage"].usd
    )
    assert e.components[KEPT_RECORDS] == 0
    # dev has no certificate: each check's only option is the fast (10 s) interval.
    assert DEV.health_check_interval == 10 and not DEV.https
    assert e.components[HEALTH_CHECKS] == pytest.approx(
        2
        * (
            CHECKS_PER_REGION * PRICES["route53_health_check"].usd
            + PRICES["route53_health_check_option"].usd
        )
    )


@given(
    rate=st.floats(min_value=1, max_value=5_000),
    regions=st.integers(min_value=1, max_value=6),
    puts=st.floats(min_value=0, max_value=0.5),
)
def test_each_region_is_its_own_stack_at_its_share_and_replication_grows_with_the_others(
    rate: float, regions: int, puts: float
) -> None:
    w = Workload(gets=1 - puts - 0.05, puts=puts, deletes=0.05)
    e = regional_estimate(DEV, rate, w, regions, EVENTUAL)
    one = estimate(DEV, rate / regions, w)
    for name, cost in one.components.items():
        assert e.components[name] == pytest.approx(cost * regions), name
    assert e.tasks == one.tasks * regions
    if regions == 1:
        assert e.components.keys() == one.components.keys()
        return
    two = regional_estimate(DEV, rate, w, 2, EVENTUAL)
    for name in (REPLICATED_WRITES, REPLICA_STORAGE):
        assert e.components[name] == pytest.approx(two.components[name] * (regions - 1)), name


def test_a_witness_costs_nothing_and_strong_mode_keeps_its_records() -> None:
    w = Workload()
    eventual = regional_estimate(DEV, 100, w, 2, EVENTUAL)
    witnessed = regional_estimate(DEV, 100, w, 2, STRONG)
    # Two replicas and a witness replicate and store as two replicas do, checked twice.
    for name in (REPLICATED_WRITES, REPLICA_STORAGE, HEALTH_CHECKS):
        assert witnessed.components[name] == pytest.approx(eventual.components[name]), name
    # Without transactions a keyed put writes item + 2 units, not 2 x (item + 1).
    assert put_write_units(w, STRONG) == 3 and put_write_units(w, EVENTUAL) == 4
    assert witnessed.components["DynamoDB requests"] < eventual.components["DynamoDB requests"]
    # Each month's keyed puts leave their records in both replicas.
    keyed = 100 * SECONDS_PER_MONTH * w.puts * w.keyed_puts
    assert witnessed.components[KEPT_RECORDS] == pytest.approx(
        keyed * idempotency_record_bytes() / 1e9 * 2 * PRICES["dynamodb_storage"].usd
    )


def test_https_and_the_fast_interval_are_each_a_priced_option() -> None:
    slow = dataclasses.replace(DEV, health_check_interval=30, https=True)
    e = regional_estimate(slow, 10, Workload(), 3, EVENTUAL)
    check = (
        CHECKS_PER_REGION * PRICES["route53_health_check"].usd
        + PRICES["route53_health_check_option"].usd
    )
    assert e.components[HEALTH_CHECKS] == pytest.approx(3 * check)


@pytest.mark.parametrize(("regions", "mode"), [(0, EVENTUAL), (1, STRONG), (4, STRONG)])
def test_a_layout_the_mode_cannot_have_is_refused(regions: int, mode: Consistency) -> None:
    with pytest.raises(BadRegions):
        regional_estimate(DEV, 10, Workload(), regions, mode)
