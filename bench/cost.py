"""What the stack costs per month at a request rate, component by component, from three
inputs: AWS's prices (below, each with where and when it was read), the stack's settings
(Pulumi.yaml's defaults under Pulumi.<stack>.yaml) and the measured capacity of one task
(bench/results/capacity.json, written by ``python3 dev.py bench --capacity``).

    python -m bench.cost                   # the table, for every stack at 10, 100, 1000 req/s
    python -m bench.cost --update-readme   # ... and into the README's cost section

Pure: no AWS call, nothing but the committed files. The prices are list prices in us-east-1
(the stacks deploy to eu-west-1, where most of these are 5-15% higher), without free tiers,
savings plans or the first 100 GB of data out that AWS gives away.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from bench.report import with_table
from devkit import ROOT

HOURS_PER_MONTH: Final = 730
SECONDS_PER_MONTH: Final = HOURS_PER_MONTH * 3600
#: The request rates the table shows, in requests per second.
RATES: Final = (10, 100, 1000)
CAPACITY_FILE: Final = ROOT / "bench" / "results" / "capacity.json"
#: The committed inventory of what each stack creates (tests/components/test_identity.py keeps
#: it equal to what the program creates under Pulumi's mocks).
INVENTORY: Final = ROOT / "tests" / "components" / "urns"
COST_START, COST_END = "<!-- cost:start -->", "<!-- cost:end -->"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    #: The AWS page that publishes the price.
    source: str
    #: Where the figure was read: AWS's pages render their tables with JavaScript, so the
    #: number itself was read from a page quoting them on the date below.
    read_from: str
    region: str = "us-east-1"
    read_on: str = "2026-11-30"


PRICES: Final[Mapping[str, Price]] = {
    "fargate_vcpu_arm": Price(
        0.03238,
        "per vCPU-hour, Linux/ARM",
        "https://aws.amazon.com/fargate/pricing/",
        "https://www.vantage.sh/blog/fargate-pricing",
    ),
    "fargate_gb_arm": Price(
        0.00356,
        "per GB-hour, Linux/ARM",
        "https://aws.amazon.com/fargate/pricing/",
        "https://www.vantage.sh/blog/fargate-pricing",
    ),
    "fargate_vcpu_x86": Price(
        0.04048,
        "per vCPU-hour, Linux/X86",
        "https://aws.amazon.com/fargate/pricing/",
        "https://www.vantage.sh/blog/fargate-pricing",
    ),
    "fargate_gb_x86": Price(
        0.004445,
        "per GB-hour, Linux/X86",
        "https://aws.amazon.com/fargate/pricing/",
        "https://www.vantage.sh/blog/fargate-pricing",
    ),
    "alb_hour": Price(
        0.0225,
        "per Application Load Balancer-hour",
        "https://aws.amazon.com/elasticloadbalancing/pricing/",
        "https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/",
    ),
    "alb_lcu": Price(
        0.008,
        "per LCU-hour (25 new connections/s, 3,000 active connections, 1 GB/hour to "
        "containers, 1,000 rule evaluations/s beyond 10 rules: the largest counts)",
        "https://aws.amazon.com/elasticloadbalancing/pricing/",
        "https://handbook.vantage.sh/aws/services/elb-pricing",
    ),
    "dynamodb_read": Price(
        0.125,
        "per million read request units, on-demand",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
    ),
    "dynamodb_write": Price(
        0.625,
        "per million write request units, on-demand",
        "https://aws.amazon.com/dynamodb/pricing/on-demand/",
        "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
    ),
    "lambda_request": Price(
        0.20,
        "per million requests",
        "https://aws.amazon.com/lambda/pricing/",
        "https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/lambda-13-cost.md",
    ),
    "lambda_arm": Price(
        0.0000133334,
        "per GB-second, Arm",
        "https://aws.amazon.com/lambda/pricing/",
        "https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/lambda-13-cost.md",
    ),
    "snapstart_cache": Price(
        0.0000015046,
        "per GB-second a SnapStart version's snapshot is cached (Python, .NET)",
        "https://aws.amazon.com/lambda/pricing/",
        "https://awsnegotiations.com/blog/lambda-snapstart-cost-impact/",
    ),
    "snapstart_restore": Price(
        0.0001397998,
        "per GB restored from a SnapStart snapshot (Python, .NET)",
        "https://aws.amazon.com/lambda/pricing/",
        "https://awsnegotiations.com/blog/lambda-snapstart-cost-impact/",
    ),
    "nat_hour": Price(
        0.045,
        "per NAT gateway-hour",
        "https://aws.amazon.com/vpc/pricing/",
        "https://basavytix.com/blog/aws-nat-gateway-pricing",
    ),
    "nat_gb": Price(
        0.045,
        "per GB processed by a NAT gateway",
        "https://aws.amazon.com/vpc/pricing/",
        "https://basavytix.com/blog/aws-nat-gateway-pricing",
    ),
    "public_ipv4": Price(
        0.005,
        "per public IPv4 address-hour",
        "https://aws.amazon.com/vpc/pricing/",
        "https://www.doit.com/aws-public-ipv4-price-increase-the-complete-guide/",
    ),
    "logs_ingest": Price(
        0.50,
        "per GB ingested, CloudWatch Logs standard",
        "https://aws.amazon.com/cloudwatch/pricing/",
        "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/",
    ),
    "logs_storage": Price(
        0.03,
        "per GB-month stored, CloudWatch Logs",
        "https://aws.amazon.com/cloudwatch/pricing/",
        "https://cloudburn.io/blog/amazon-cloudwatch-pricing",
    ),
    "alarm": Price(
        0.10,
        "per standard-resolution alarm metric-month",
        "https://aws.amazon.com/cloudwatch/pricing/",
        "https://cloudburn.io/blog/amazon-cloudwatch-pricing",
    ),
    "dashboard": Price(
        3.00,
        "per dashboard-month",
        "https://aws.amazon.com/cloudwatch/pricing/",
        "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/",
    ),
    "waf_acl": Price(
        5.00,
        "per web ACL-month",
        "https://aws.amazon.com/waf/pricing/",
        "https://c3x.dev/blog/aws-waf-cost-explained/",
    ),
    "waf_rule": Price(
        1.00,
        "per rule or managed rule group-month",
        "https://aws.amazon.com/waf/pricing/",
        "https://c3x.dev/blog/aws-waf-cost-explained/",
    ),
    "waf_requests": Price(
        0.60,
        "per million requests inspected",
        "https://aws.amazon.com/waf/pricing/",
        "https://c3x.dev/blog/aws-waf-cost-explained/",
    ),
    "data_out": Price(
        0.09,
        "per GB to the internet (first 10 TB a month)",
        "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer",
        "https://wring.co/blog/aws-data-transfer-pricing-guide",
    ),
}

#: The stack's own web ACL: AWS's common and known-bad-inputs rule groups and a rate limit
#: per client IP (components/firewall.py).
WAF_RULES: Final = 3
#: Listener rules an ALB evaluates per request without charge.
FREE_RULE_EVALUATIONS: Final = 10
#: Write request units of one item (up to 1 KB) written inside a transaction: twice a plain
#: write's ("Capacity unit consumption for write operations", https://docs.aws.amazon.com/
#: amazondynamodb/latest/developerguide/read-write-operations.html).
TRANSACTIONAL_WRITE_UNITS: Final = 2


@dataclass(frozen=True)
class Workload:
    """What a request is, on average. Stated, not measured, except the log line."""

    #: Shares of requests: GET and PUT reach the tasks, DELETE the function.
    gets: float = 0.80
    puts: float = 0.15
    deletes: float = 0.05
    #: The share of puts that carry an Idempotency-Key: the API's client sends one on every
    #: put. Such a put writes the item and the key's record in one transaction.
    keyed_puts: float = 1.0
    #: Bytes through the load balancer each way (headers and a small item).
    request_bytes: int = 1_000
    response_bytes: int = 1_000
    #: Requests a client sends on one connection before opening another.
    requests_per_connection: int = 10
    #: The access log line per request (the capacity file's measured figure, when it has one).
    log_bytes_per_request: int = 400
    #: Billed duration of a warm DELETE: one DeleteItem round trip.
    delete_ms: float = 20.0
    #: Hours an execution environment of the function lives before Lambda restores a new one.
    environment_hours: float = 1.0


@dataclass(frozen=True)
class StackSettings:
    stack: str
    region: str
    architecture: str
    cpu: int
    memory: int
    min_count: int
    max_count: int
    requests_per_target: int
    zones: int
    nat_gateways: int
    waf: bool
    alarms: int
    dashboards: int
    lambda_memory: int
    snap_start: bool
    log_retention_days: int


def stack_config(stack: str, root: Path = ROOT) -> dict[str, Any]:
    """The stack's picus settings as Pulumi resolves them: declared default, then stack file."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    config: dict[str, Any] = {
        f"picus:{key}": spec["default"] for key, spec in project["config"].items()
    }
    config.update(yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())["config"])
    return config


def _inventory(stack: str, kind: str, root: Path) -> int:
    lines = (root / INVENTORY.relative_to(ROOT) / f"{stack}.txt").read_text().splitlines()
    return sum(1 for line in lines if f"${kind}::" in line)


def stack_settings(stack: str, root: Path = ROOT) -> StackSettings:
    c = stack_config(stack, root)
    zones = int(c["picus:availabilityZones"])
    return StackSettings(
        stack=stack,
        region=str(c["aws:region"]),
        architecture=str(c["picus:cpuArchitecture"]),
        cpu=int(c["picus:cpu"]),
        memory=int(c["picus:memory"]),
        min_count=int(c["picus:minCount"]),
        max_count=int(c["picus:maxCount"]),
        requests_per_target=int(c["picus:requestsPerTarget"]),
        zones=zones,
        nat_gateways=zones if c["picus:natGateways"] == "onePerAz" else 1,
        waf=bool(c["picus:firewall"]) or bool(c["picus:wafWebAclArn"]),
        alarms=_inventory(stack, "aws:cloudwatch/metricAlarm:MetricAlarm", root),
        dashboards=_inventory(stack, "aws:cloudwatch/dashboard:Dashboard", root),
        lambda_memory=int(c["picus:lambdaMemory"]),
        snap_start=bool(c["picus:snapStart"]),
        log_retention_days=int(c["picus:logRetentionDays"]),
    )


@dataclass(frozen=True)
class Estimate:
    """One design's monthly cost at one rate."""

    rate: float
    tasks: int
    #: The stack's maxCount stops autoscaling short of ``tasks``.
    above_max: bool
    components: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.components.values())

    @property
    def per_million(self) -> float:
        return self.total / (self.rate * SECONDS_PER_MONTH / 1e6)

    @property
    def dominant(self) -> str:
        return max(self.components, key=lambda name: self.components[name])


def _price(name: str) -> float:
    return PRICES[name].usd


def put_write_units(w: Workload) -> float:
    """Write request units of an average put: one for a plain put; a keyed put's transaction
    writes two items (the item, the key's record in the idempotency table) at the
    transactional rate."""
    keyed = 2 * TRANSACTIONAL_WRITE_UNITS
    return (1 - w.keyed_puts) * 1 + w.keyed_puts * keyed


def task_hour(s: StackSettings) -> float:
    arch = "arm" if s.architecture == "ARM64" else "x86"
    return s.cpu / 1024 * _price(f"fargate_vcpu_{arch}") + s.memory / 1024 * _price(
        f"fargate_gb_{arch}"
    )


def tasks_for(rate: float, per_task_per_minute: float, s: StackSettings) -> int:
    """Tasks autoscaling runs when each takes ``per_task_per_minute`` requests."""
    return max(s.min_count, math.ceil(rate * 60 / per_task_per_minute))


def estimate(
    s: StackSettings,
    rate: float,
    w: Workload,
    per_task_per_minute: float | None = None,
    lambda_deletes: bool = True,
) -> Estimate:
    """The monthly cost at ``rate`` requests/s. ``per_task_per_minute`` is what autoscaling
    aims at per task (the stack's requestsPerTarget unless given); without the function,
    the tasks serve DELETE too (the Flask design)."""
    monthly = rate * SECONDS_PER_MONTH
    to_tasks = w.gets + w.puts + (0.0 if lambda_deletes else w.deletes)
    tasks = tasks_for(rate * to_tasks, per_task_per_minute or s.requests_per_target, s)
    gb = 1e9
    log_gb = monthly * w.log_bytes_per_request / gb
    processed_gb_hour = rate * 3600 * (w.request_bytes + w.response_bytes) / gb
    lcus = max(rate / w.requests_per_connection / 25, processed_gb_hour)
    c: dict[str, float] = {
        "Fargate tasks": tasks * task_hour(s) * HOURS_PER_MONTH,
        "load balancer (hours + LCUs)": (_price("alb_hour") + lcus * _price("alb_lcu"))
        * HOURS_PER_MONTH,
        "DynamoDB requests": monthly * w.gets / 1e6 * _price("dynamodb_read")
        + monthly * (w.puts * put_write_units(w) + w.deletes) / 1e6 * _price("dynamodb_write"),
    }
    lambda_cost = 0.0
    if lambda_deletes:
        invocations = monthly * w.deletes
        gb_memory = s.lambda_memory / 1024
        lambda_cost = invocations / 1e6 * _price("lambda_request") + invocations * gb_memory * (
            w.delete_ms / 1000
        ) * _price("lambda_arm")
        if s.snap_start:
            concurrent = max(1, math.ceil(rate * w.deletes * w.delete_ms / 1000))
            restores = concurrent * HOURS_PER_MONTH / w.environment_hours
            lambda_cost += gb_memory * SECONDS_PER_MONTH * _price("snapstart_cache")
            lambda_cost += restores * gb_memory * _price("snapstart_restore")
    c["Lambda (DELETE, SnapStart)"] = lambda_cost
    # Table traffic takes the free DynamoDB gateway endpoint; the logs go out through NAT.
    c["NAT gateways (hours + data)"] = s.nat_gateways * _price(
        "nat_hour"
    ) * HOURS_PER_MONTH + log_gb * _price("nat_gb")
    c["public IPv4 (NAT + ALB per zone)"] = (
        (s.nat_gateways + s.zones) * _price("public_ipv4") * HOURS_PER_MONTH
    )
    c["CloudWatch (logs, alarms, dashboard)"] = (
        log_gb * _price("logs_ingest")
        + log_gb * s.log_retention_days / 30 * _price("logs_storage")
        + s.alarms * _price("alarm")
        + s.dashboards * _price("dashboard")
    )
    c["WAF"] = (
        _price("waf_acl") + WAF_RULES * _price("waf_rule") + monthly / 1e6 * _price("waf_requests")
        if s.waf
        else 0.0
    )
    c["data out to the internet"] = monthly * w.response_bytes / gb * _price("data_out")
    return Estimate(rate, tasks, tasks > s.max_count, c)


def per_task_rate(capacity: Mapping[str, Any], stack: str, contender: str) -> float:
    """The highest rate one task of the stack's size sustained within the objective."""
    return float(capacity["stacks"][stack]["contenders"][contender]["sustained_rps"])


def workload_from(capacity: Mapping[str, Any]) -> Workload:
    logged = capacity.get("log_bytes_per_request")
    return Workload(log_bytes_per_request=round(logged)) if logged else Workload()


def _usd(value: float) -> str:
    return f"${value:,.0f}" if value >= 10 else f"${value:,.2f}"


def stack_table(s: StackSettings, capacity: Mapping[str, Any], headroom: float, w: Workload) -> str:
    ours = [estimate(s, rate, w) for rate in RATES]
    flask_per_minute = per_task_rate(capacity, s.stack, "flask") * headroom * 60
    flask = [estimate(s, rate, w, flask_per_minute, lambda_deletes=False) for rate in RATES]

    def tasks(e: Estimate) -> str:
        above = f", above maxCount {s.max_count}" if e.above_max else ""
        return f"{_usd(e.components['Fargate tasks'])} ({e.tasks} task{'s' * (e.tasks > 1)}{above})"

    header = " | ".join(f"{rate:,} req/s" for rate in RATES)
    lines = [
        f"**{s.stack}** ({s.cpu / 1024:g} vCPU / {s.memory} MiB {s.architecture} tasks, "
        f"{s.min_count}..{s.max_count} of them, requestsPerTarget {s.requests_per_target}; "
        f"{s.nat_gateways} NAT gateway(s) over {s.zones} zones; "
        f"{'a web ACL' if s.waf else 'no web ACL'}; {s.alarms} alarms)",
        "",
        f"| per month | {header} |",
        "|---|" + "---|" * len(RATES),
    ]
    for name in ours[0].components:
        cells = [tasks(e) if name == "Fargate tasks" else _usd(e.components[name]) for e in ours]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    lines += [
        f"| **total** | {' | '.join(f'**{_usd(e.total)}**' for e in ours)} |",
        f"| per million requests | {' | '.join(_usd(e.per_million) for e in ours)} |",
        f"| largest component | {' | '.join(e.dominant for e in ours)} |",
        f"| Flask seed design: Fargate tasks | {' | '.join(tasks(e) for e in flask)} |",
        f"| Flask seed design: total | {' | '.join(_usd(e.total) for e in flask)} |",
        f"| Flask seed design: per million requests | "
        f"{' | '.join(_usd(e.per_million) for e in flask)} |",
    ]
    return "\n".join(lines) + "\n"


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name.split(".")[1] for p in root.glob("Pulumi.*.yaml"))


def report(capacity: Mapping[str, Any], root: Path = ROOT) -> str:
    """The README's cost section: every stack's table, then what the figures assume."""
    from bench.autoscaling import HEADROOM

    w = workload_from(capacity)
    tables = [stack_table(stack_settings(s, root), capacity, HEADROOM, w) for s in stacks(root)]
    assumptions = (
        f"Command: `python -m bench.cost` (prices: us-east-1 list prices read on "
        f"{PRICES['alb_hour'].read_on}, each with its source in `bench/cost.py`; capacity: "
        "`bench/results/capacity.json`). Requests: "
        f"{w.gets:.0%} GET, {w.puts:.0%} PUT, {w.deletes:.0%} DELETE; "
        f"{w.keyed_puts:.0%} of puts with an Idempotency-Key (the item and the key's record "
        f"in one transaction: {put_write_units(w):g} write units a put); "
        f"{w.request_bytes:,} bytes in and {w.response_bytes:,} out each; "
        f"{w.requests_per_connection} requests per client connection; "
        f"{w.log_bytes_per_request} bytes of access log each; a DELETE bills "
        f"{w.delete_ms:g} ms. Tasks are what autoscaling runs at the stack's requestsPerTarget "
        f"(the Flask design's: its own measured capacity at the same headroom, "
        f"{HEADROOM:.0%}, and it serves DELETE itself)."
    )
    return "\n".join([assumptions, "", *tables])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update-readme", action="store_true")
    parser.add_argument("--capacity", type=Path, default=CAPACITY_FILE)
    args = parser.parse_args()
    if not args.capacity.exists():
        raise SystemExit(f"{args.capacity} is missing: run `python3 dev.py bench --capacity`")
    table = report(json.loads(args.capacity.read_text()))
    print(table, end="")
    if args.update_readme:
        readme = ROOT / "README.md"
        readme.write_text(with_table(readme.read_text(), table, COST_START, COST_END))


if __name__ == "__main__":
    main()
