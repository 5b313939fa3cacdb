"""``python3 dev.py serve --regions A,B[,C]``: the API in several local regions behind one front
that routes as the stack's Route 53 latency records do (local/multi_region.py). Ctrl-C stops
everything."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading

from local.health_front import ADMIN_PATH, REGION_HEADER
from local.multi_region import MultiRegion, RegionsConfig
from picus import contract
from picus.regions import (
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_INTERVAL,
    TYPICAL_REPLICATION_LAG_S,
    Consistency,
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 dev.py serve --regions", description=__doc__.split("\n")[0]
    )
    p.add_argument(
        "--regions",
        required=True,
        metavar="A,B[,C]",
        help="AWS region names, nearest first: the front sends every request to the first "
        "healthy one",
    )
    p.add_argument(
        "--consistency",
        choices=[c.value for c in Consistency],
        default=Consistency.EVENTUAL.value,
        help="the global tables' mode. eventual (MREC): writes replicate after --replication-lag, "
        "last writer wins per item. strong (MRSC): a write reaches every running region before "
        "it is answered, transactions are refused; exactly three regions of one MRSC region set, "
        "or two and a witness, which is modelled (the set's first other region, never stopped)",
    )
    p.add_argument(
        "--replication-lag",
        type=float,
        default=TYPICAL_REPLICATION_LAG_S,
        metavar="SECONDS",
        help=f"eventual mode's replication delay (default {TYPICAL_REPLICATION_LAG_S:g}: "
        "AWS's 'typically within a second')",
    )
    p.add_argument(
        "--health-check-interval",
        type=float,
        default=HEALTH_CHECK_INTERVAL,
        metavar="SECONDS",
        help=f"seconds between health checks of each region (the stack's healthCheckInterval, "
        f"default {HEALTH_CHECK_INTERVAL})",
    )
    p.add_argument(
        "--health-check-failure-threshold",
        type=int,
        default=HEALTH_CHECK_FAILURE_THRESHOLD,
        metavar="N",
        help="failed (or passed) checks in a row before a region leaves (or rejoins) the "
        f"answer (the stack's healthCheckFailureThreshold, default "
        f"{HEALTH_CHECK_FAILURE_THRESHOLD})",
    )
    p.add_argument("--host", default=os.environ.get("PICUS_HOST", "127.0.0.1"))
    p.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PICUS_PORT", contract.CONTAINER_PORT)),
        help="the front's port; each region's origin gets a free one",
    )
    return p


def config_from(argv: list[str]) -> RegionsConfig:
    args = parser().parse_args(argv)
    from service.settings import Settings

    settings = Settings.from_env()
    config = RegionsConfig(
        regions=tuple(r.strip() for r in args.regions.split(",") if r.strip()),
        consistency=Consistency(args.consistency),
        lag_s=args.replication_lag,
        interval_s=args.health_check_interval,
        threshold=args.health_check_failure_threshold,
        host=args.host,
        port=args.port,
        table_name=settings.table_name,
        idempotency_table_name=settings.idempotency_table_name,
    )
    if config.lag_s < 0 or config.interval_s <= 0 or config.threshold < 1:
        raise ValueError("the lag is at least 0, the interval above 0, the threshold at least 1")
    return config


def banner(stack: MultiRegion) -> str:
    config = stack.config
    lines = [
        f"picus API  {stack.front_url}  (the front: nearest healthy region; answers name it "
        f"in {REGION_HEADER})",
        *(f"region     {r}  {url}" for r, url in stack.origin_urls.items()),
        f"data       {config.consistency.value} consistency"
        + (
            f", replication lag {config.lag_s:g} s"
            if config.consistency is Consistency.EVENTUAL
            else ""
        )
        + (f", witness {stack.witness}" if stack.witness else ""),
        f"health     every {config.interval_s:g} s, {config.threshold} in a row to leave or rejoin",
        f"regions    curl -X POST {stack.front_url}{ADMIN_PATH}/{config.regions[0]}/stop "
        "(or /start)",
        "Ctrl-C stops.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    try:
        config = config_from(argv)
        stack = MultiRegion(config)
    except ValueError as exc:
        sys.exit(f"serve: {exc}")
    # This process creates the regions' tables in the embedded moto, which checks the form of
    # credentials only; AWS is never reached.
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")
    with stack.running():
        print(banner(stack), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
