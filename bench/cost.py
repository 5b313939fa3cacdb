"""What the stack costs per month at a request rate, component by component, from three
inputs: AWS's prices in the stack's region (bench/prices.py, each with where and when it was
read), the stack's settings (Pulumi.yaml's defaults under Pulumi.<stack>.yaml) and the measured
capacity of one task (bench/results/capacity.json, written by ``python3 dev.py bench --capacity``).

    python -m bench.cost                 # the table, for every stack at 10, 100, 1000 req/s
    python -m bench.cost --update-docs   # ... and into the documentation's cost page
    python3 dev.py cost --stack dev --rate 50   # one stack at your own rate (bench/cost_command.py)

Pure: no AWS call, nothing but the committed files.
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

from bench.prices import Price, prices_for
from bench.report import with_table
from bench.result_files import CAPACITY_FILE
from devkit import ROOT
from picus.regions import Consistency

HOURS_PER_MONTH: Final = 730
SECONDS_PER_MONTH: Final = HOURS_PER_MONTH * 3600
#: The request rates the table shows, in requests per second.
RATES: Final = (10, 100, 1000)
#: The committed inventory of what each stack creates (tests/components/test_identity.py keeps
#: it equal to what the program creates under Pulumi's mocks).
INVENTORY: Final = ROOT / "tests" / "components" / "urns"
COST_START, COST_END = "<!-- cost:start -->", "<!-- cost:end -->"


#: The stack's own web ACL: AWS's common and known-bad-inputs rule groups and a rate limit
#: per client IP (components/firewall.py).
WAF_RULES: Final = 3
#: Listener rules an ALB evaluates per request without charge.
FREE_RULE_EVALUATIONS: Final = 10
#: Write request units of one item (up to 1 KB) written inside a transaction: twice a plain
#: write's ("Capacity unit consumption for write operations", https://docs.aws.amazon.com/
#: amazondynamodb/latest/developerguide/read-write-operations.html).
TRANSACTIONAL_WRITE_UNITS: Final = 2
#: The bytes one write request unit writes, and one read request unit reads strongly
#: consistently (same page).
WRITE_UNIT_BYTES: Final = 1024
READ_UNIT_BYTES: Final = 4096


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
    #: The stored item's size in DynamoDB, which sets the request units of each call.
    item_bytes: int = 1_000
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
    #: Several regions (bench/cost_regions.py prices them): each one serving, the stack's own
    #: first; the tables' mode; DynamoDB's witness (strong, two regions); the health checks.
    regions: tuple[str, ...] = ()
    consistency: Consistency = Consistency.EVENTUAL
    witness: str = ""
    https: bool = False
    health_check_interval: int = 10


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
        regions=tuple(c["picus:regions"]) or (str(c["aws:region"]),),
        consistency=Consistency(c["picus:consistency"]),
        witness=str(c["picus:witnessRegion"]),
        https=bool(c["picus:certificateArn"]),
        health_check_interval=int(c["picus:healthCheckInterval"]),
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


def item_write_units(w: Workload) -> int:
    """Write request units of one plain write (or delete) of the workload's item."""
    return math.ceil(w.item_bytes / WRITE_UNIT_BYTES)


def put_write_units(w: Workload, mode: Consistency = Consistency.EVENTUAL) -> float:
    """Write request units of an average put: the item's units for a plain put; a keyed put's
    transaction writes two items (the item, the key's record in the idempotency table, under
    1 KB) at the transactional rate. Strong mode has no transactions: a keyed put writes the
    record, the item, then the record again (its mark), each at the plain rate."""
    if mode is Consistency.STRONG:
        keyed = item_write_units(w) + 2
    else:
        keyed = TRANSACTIONAL_WRITE_UNITS * (item_write_units(w) + 1)
    return (1 - w.keyed_puts) * item_write_units(w) + w.keyed_puts * keyed


def get_read_units(w: Workload) -> int:
    """Read request units of one strongly consistent read of the workload's item."""
    return math.ceil(w.item_bytes / READ_UNIT_BYTES)


def task_hour(s: StackSettings, prices: Mapping[str, Price]) -> float:
    arch = "arm" if s.architecture == "ARM64" else "x86"
    return (
        s.cpu / 1024 * prices[f"fargate_vcpu_{arch}"].usd
        + s.memory / 1024 * prices[f"fargate_gb_{arch}"].usd
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
    mode: Consistency = Consistency.EVENTUAL,
) -> Estimate:
    """The monthly cost at ``rate`` requests/s, at the prices of the stack's region.
    ``per_task_per_minute`` is what autoscaling aims at per task (the stack's
    requestsPerTarget unless given); without the function, the tasks serve DELETE too (the
    Flask design). ``mode``: the tables' consistency mode, which sets a keyed put's writes."""
    prices = prices_for(s.region)

    def _price(name: str) -> float:
        return prices[name].usd

    monthly = rate * SECONDS_PER_MONTH
    to_tasks = w.gets + w.puts + (0.0 if lambda_deletes else w.deletes)
    tasks = tasks_for(rate * to_tasks, per_task_per_minute or s.requests_per_target, s)
    gb = 1e9
    log_gb = monthly * w.log_bytes_per_request / gb
    processed_gb_hour = rate * 3600 * (w.request_bytes + w.response_bytes) / gb
    lcus = max(rate / w.requests_per_connection / 25, processed_gb_hour)
    c: dict[str, float] = {
        "Fargate tasks": tasks * task_hour(s, prices) * HOURS_PER_MONTH,
        "load balancer (hours + LCUs)": (_price("alb_hour") + lcus * _price("alb_lcu"))
        * HOURS_PER_MONTH,
        "DynamoDB requests": monthly * w.gets * get_read_units(w) / 1e6 * _price("dynamodb_read")
        + monthly
        * (w.puts * put_write_units(w, mode) + w.deletes * item_write_units(w))
        / 1e6
        * _price("dynamodb_write"),
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
        f"**{s.stack}** in {s.region} ({s.cpu / 1024:g} vCPU / {s.memory} MiB "
        f"{s.architecture} tasks, "
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
    """The cost page's generated section: what the figures assume, then every stack's table."""
    from bench.autoscaling import HEADROOM

    w = workload_from(capacity)
    settings = [stack_settings(s, root) for s in stacks(root)]
    tables = [stack_table(s, capacity, HEADROOM, w) for s in settings]
    books = sorted({s.region for s in settings})
    read = "; ".join(
        f"{region} list prices read on {prices_for(region)['alb_hour'].read_on}" for region in books
    )
    assumptions = (
        f"Command: `python -m bench.cost` (prices: each stack's region, {read}, each with its "
        "source in `bench/prices.py`; capacity: `bench/results/capacity.json`). Requests: "
        f"{w.gets:.0%} GET, {w.puts:.0%} PUT, {w.deletes:.0%} DELETE; "
        f"{w.keyed_puts:.0%} of puts with an Idempotency-Key (the item and the key's record "
        f"in one transaction: {put_write_units(w):g} write units a put); "
        f"{w.request_bytes:,} bytes in and {w.response_bytes:,} out each, "
        f"{w.item_bytes:,}-byte items; "
        f"{w.requests_per_connection} requests per client connection; "
        f"{w.log_bytes_per_request} bytes of access log each; a DELETE bills "
        f"{w.delete_ms:g} ms. Tasks are what autoscaling runs at the stack's requestsPerTarget "
        f"(the Flask design's: its own measured capacity at the same headroom, "
        f"{HEADROOM:.0%}, and it serves DELETE itself)."
    )
    return "\n".join([assumptions, "", *tables])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--update-docs", action="store_true")
    parser.add_argument("--capacity", type=Path, default=CAPACITY_FILE)
    args = parser.parse_args()
    if not args.capacity.exists():
        raise SystemExit(f"{args.capacity} is missing: run `python3 dev.py bench --capacity`")
    table = report(json.loads(args.capacity.read_text()))
    print(table, end="")
    if args.update_docs:
        from docsite.pages import COST

        COST.write_text(with_table(COST.read_text(), table, COST_START, COST_END))


if __name__ == "__main__":
    main()
