"""The cost model: every price says where it comes from, the stack's own settings drive the
fixed costs, the request rate the variable ones."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from bench.cost import (
    RATES,
    SECONDS_PER_MONTH,
    Workload,
    estimate,
    put_write_units,
    report,
    stack_config,
    stack_settings,
    stacks,
)
from bench.prices import BOOKS, ITEMS, NoPrices, prices_for
from devkit import ROOT
from docsite.pages import COST

#: One task of each size serves this many requests/s (the Flask design a fifth of it).
CAPACITY: dict[str, Any] = {
    "log_bytes_per_request": 350,
    "stacks": {
        stack: {
            "cpu": cpu,
            "memory": memory,
            "contenders": {
                "ours": {"sustained_rps": rps, "cpu_percent": 95.0},
                "flask": {"sustained_rps": rps / 5, "cpu_percent": 99.0},
            },
        }
        for stack, cpu, memory, rps in (("dev", 256, 512, 200.0), ("prod", 512, 1024, 400.0))
    },
}


def test_every_price_names_its_region_unit_date_and_source() -> None:
    for region, book in BOOKS.items():
        assert book.keys() == ITEMS.keys(), region
        for name, price in book.items():
            assert price.usd > 0, name
            assert price.region == region, name
            assert price.unit.startswith("per "), name
            assert price.source.startswith("https://aws.amazon.com/"), name
            assert price.read_from is None or price.read_from.startswith("https://"), name
            assert len(price.read_on) == 10 and price.read_on.startswith("20"), name


def test_each_committed_stack_is_priced_in_the_region_it_deploys_to() -> None:
    for stack in stacks():
        s = stack_settings(stack)
        assert s.region == stack_config(stack)["aws:region"], stack
        assert s.region in BOOKS, f"{stack} deploys to {s.region}, which has no prices"
    assert "eu-west-1" in {stack_settings(s).region for s in stacks()}


def test_a_region_without_prices_is_refused_not_borrowed() -> None:
    with pytest.raises(NoPrices, match=r"no prices for ap-south-1 .*eu-west-1, us-east-1"):
        prices_for("ap-south-1")
    dev = dataclasses.replace(stack_settings("dev"), region="ap-south-1")
    with pytest.raises(NoPrices):
        estimate(dev, 10, Workload())


def test_the_same_stack_costs_what_its_regions_prices_say() -> None:
    dev = stack_settings("dev")
    east = estimate(dataclasses.replace(dev, region="us-east-1"), 100, Workload())
    west = estimate(dataclasses.replace(dev, region="eu-west-1"), 100, Workload())
    # A NAT gateway's hour and its GB cost the same in each region: the line scales by it.
    nat = "NAT gateways (hours + data)"
    ratio = BOOKS["eu-west-1"]["nat_hour"].usd / BOOKS["us-east-1"]["nat_hour"].usd
    assert BOOKS["eu-west-1"]["nat_gb"].usd / BOOKS["us-east-1"]["nat_gb"].usd == ratio
    assert west.components[nat] == pytest.approx(east.components[nat] * ratio)
    assert west.total != east.total


def test_a_larger_item_takes_more_request_units() -> None:
    dev = stack_settings("dev")
    small = estimate(dev, 100, Workload(item_bytes=1_000)).components["DynamoDB requests"]
    reads_only = Workload(gets=1.0, puts=0.0, deletes=0.0, item_bytes=4_096)
    assert estimate(dev, 100, reads_only).components["DynamoDB requests"] == pytest.approx(
        estimate(dev, 100, dataclasses.replace(reads_only, item_bytes=1)).components[
            "DynamoDB requests"
        ]
    )
    # 4,097 bytes: a second read unit, five write units.
    large = estimate(dev, 100, Workload(item_bytes=4_097)).components["DynamoDB requests"]
    assert large > 2 * small
    assert put_write_units(Workload(item_bytes=4_097, keyed_puts=0.0)) == 5


def test_the_stack_file_overrides_pulumi_yamls_defaults() -> None:
    dev, prod = stack_settings("dev"), stack_settings("prod")
    assert (dev.cpu, dev.memory, dev.nat_gateways, dev.waf) == (256, 512, 1, False)
    assert (prod.cpu, prod.memory, prod.nat_gateways, prod.waf) == (512, 1024, 3, True)
    # The alarms each stack creates, as its committed inventory lists them.
    for s in (dev, prod):
        urns = (ROOT / "tests" / "components" / "urns" / f"{s.stack}.txt").read_text()
        assert s.alarms == urns.count("$aws:cloudwatch/metricAlarm:MetricAlarm::") >= 9


def test_tasks_follow_the_autoscaling_target_within_min_and_max() -> None:
    dev = stack_settings("dev")
    w = Workload()
    quiet = estimate(dev, 0.01, w)
    assert quiet.tasks == dev.min_count and not quiet.above_max
    busy = estimate(dev, 1000, w)
    served_by_tasks = 1000 * (w.gets + w.puts)
    assert busy.tasks == math.ceil(served_by_tasks * 60 / dev.requests_per_target)
    assert busy.above_max == (busy.tasks > dev.max_count)


def test_dynamodb_is_billed_per_request_unit() -> None:
    dev = stack_settings("dev")
    w = Workload(gets=0.8, puts=0.15, deletes=0.05)
    requests = 100 * SECONDS_PER_MONTH / 1e6  # millions a month
    # Every put with an Idempotency-Key: two items in a transaction, each two write units.
    book = prices_for(dev.region)
    read, write = book["dynamodb_read"].usd, book["dynamodb_write"].usd
    expected = requests * (0.8 * read + (0.15 * 4 + 0.05) * write)
    assert estimate(dev, 100, w).components["DynamoDB requests"] == pytest.approx(expected)


def test_a_put_without_an_idempotency_key_is_one_write_unit() -> None:
    dev = stack_settings("dev")
    plain = Workload(gets=0.8, puts=0.15, deletes=0.05, keyed_puts=0.0)
    requests = 100 * SECONDS_PER_MONTH / 1e6
    book = prices_for(dev.region)
    expected = requests * (0.8 * book["dynamodb_read"].usd + 0.2 * book["dynamodb_write"].usd)
    assert estimate(dev, 100, plain).components["DynamoDB requests"] == pytest.approx(expected)
    half = Workload(keyed_puts=0.5)
    assert put_write_units(half) == pytest.approx((1 + 4) / 2)


def test_a_million_requests_costs_less_as_the_fixed_costs_spread() -> None:
    for stack in stacks():
        s = stack_settings(stack)
        estimates = [estimate(s, rate, Workload()) for rate in RATES]
        totals = [e.total for e in estimates]
        assert totals == sorted(totals), stack
        per_million = [e.per_million for e in estimates]
        assert per_million == sorted(per_million, reverse=True), stack


def test_prod_pays_for_its_firewall_and_its_nat_gateway_per_zone() -> None:
    dev, prod = (estimate(stack_settings(s), 10, Workload()) for s in ("dev", "prod"))
    assert dev.components["WAF"] == 0 < prod.components["WAF"]
    assert prod.components["NAT gateways (hours + data)"] == pytest.approx(
        3 * dev.components["NAT gateways (hours + data)"], rel=0.01
    )


def test_the_flask_design_needs_more_tasks_for_the_same_rate() -> None:
    dev = stack_settings("dev")
    ours = estimate(dev, 100, Workload(), 200 * 0.6 * 60)
    flask = estimate(dev, 100, Workload(), 200 / 5 * 0.6 * 60, lambda_deletes=False)
    assert flask.tasks > ours.tasks
    assert flask.components["Lambda (DELETE, SnapStart)"] == 0


def test_the_report_shows_every_stack_rate_and_the_flask_design() -> None:
    text = report(CAPACITY)
    for stack in stacks():
        assert f"**{stack}**" in text
    for rate in RATES:
        assert f"{rate:,} req/s" in text
    assert "| per million requests |" in text
    assert "| largest component |" in text
    assert "| Flask seed design: total |" in text
    assert "350 bytes of access log" in text


def test_the_cost_page_shows_the_cost_of_the_committed_capacity() -> None:
    import json

    from bench.cost import COST_END, COST_START
    from bench.result_files import CAPACITY_FILE

    section = COST.read_text().split(COST_START, 1)[1].split(COST_END, 1)[0]
    assert section == "\n" + report(json.loads(CAPACITY_FILE.read_text()))
