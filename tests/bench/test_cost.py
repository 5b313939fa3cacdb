"""The cost model: every price says where it comes from, the stack's own settings drive the
fixed costs, the request rate the variable ones."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bench.cost import (
    PRICES,
    RATES,
    SECONDS_PER_MONTH,
    Workload,
    estimate,
    put_write_units,
    report,
    stack_settings,
    stacks,
)
from devkit import ROOT

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
    for name, price in PRICES.items():
        assert price.usd > 0, name
        assert price.region == "us-east-1", name
        assert price.unit.startswith("per "), name
        assert price.source.startswith("https://aws.amazon.com/"), name
        assert price.read_from.startswith("https://"), name
        assert len(price.read_on) == 10 and price.read_on.startswith("20"), name


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
    expected = requests * (0.8 * 0.125 + (0.15 * 4 + 0.05) * 0.625)
    assert estimate(dev, 100, w).components["DynamoDB requests"] == pytest.approx(expected)


def test_a_put_without_an_idempotency_key_is_one_write_unit() -> None:
    dev = stack_settings("dev")
    plain = Workload(gets=0.8, puts=0.15, deletes=0.05, keyed_puts=0.0)
    requests = 100 * SECONDS_PER_MONTH / 1e6
    expected = requests * (0.8 * 0.125 + 0.2 * 0.625)
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


def test_the_readme_shows_the_cost_of_the_committed_capacity() -> None:
    import json

    from bench.capacity import CAPACITY_FILE
    from bench.cost import COST_END, COST_START

    readme = (ROOT / "README.md").read_text()
    section = readme.split(COST_START, 1)[1].split(COST_END, 1)[0]
    assert section == "\n" + report(json.loads(CAPACITY_FILE.read_text()))
