"""The monthly cost of one stack at your own traffic, component by component.

    python3 dev.py cost --stack dev --rate 50
    python3 dev.py cost --stack prod --rate 400 --gets 0.6 --puts 0.3 --deletes 0.1
    python3 dev.py cost --stack prod --rate 400 --item-bytes 4000
    python3 dev.py cost --stack dev --rate 50 --region us-east-1
    python3 dev.py cost --stack dev --rate 50 --regions 3 --consistency strong

The model is bench/cost.py's (the stack's settings, the access log's size from the committed
capacity file, whose measurement the stack's autoscaling targets come from), at the prices
of the stack's region (``aws:region`` in its stack file) or of ``--region``: a region without
prices in bench/prices.py is refused, naming those that have them. ``--regions N`` prices N
regions sharing the rate evenly, in the stack's ``consistency`` or ``--consistency``
(bench/cost_regions.py: each region's stack, and what replication adds); without it, the
stack's own ``regions``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence

from bench.cost import (
    SECONDS_PER_MONTH,
    Estimate,
    StackSettings,
    Workload,
    estimate,
    stack_settings,
    stacks,
    workload_from,
)
from bench.cost_regions import BadRegions, describe, regional_estimate, with_regions
from bench.prices import NoPrices, prices_for
from bench.result_files import CAPACITY_FILE
from picus.contract import MAX_ITEM_BYTES
from picus.regions import Consistency


class BadRequest(ValueError):
    """An argument the estimate cannot use."""


def workload(
    gets: float, puts: float, deletes: float, item_bytes: int, measured: Workload
) -> Workload:
    shares = (gets, puts, deletes)
    if any(share < 0 for share in shares) or abs(sum(shares) - 1) > 1e-9:
        raise BadRequest(
            f"--gets, --puts and --deletes are shares of the requests and add up to 1 "
            f"(here {gets:g} + {puts:g} + {deletes:g} = {sum(shares):g})"
        )
    if not 1 <= item_bytes <= MAX_ITEM_BYTES:
        raise BadRequest(f"--item-bytes is 1..{MAX_ITEM_BYTES:,} (the API's largest item)")
    # Headers and the JSON around the item: the default workload's 1,000 bytes carry a small item.
    return dataclasses.replace(
        measured,
        gets=gets,
        puts=puts,
        deletes=deletes,
        item_bytes=item_bytes,
        request_bytes=max(measured.request_bytes, item_bytes),
        response_bytes=max(measured.response_bytes, item_bytes),
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def render(s: StackSettings, rate: float, w: Workload, e: Estimate, layout: str = "") -> str:
    """The estimate as a table: each component per month and per million requests."""
    millions = rate * SECONDS_PER_MONTH / 1e6
    above = f", above maxCount {s.max_count}" if e.above_max else ""
    where = f"{layout} at {s.region}'s prices" if layout else s.region
    lines = [
        f"{s.stack} in {where} at {rate:g} requests/s ({millions:,.1f} million a month): "
        f"{w.gets:.0%} GET, {w.puts:.0%} PUT, {w.deletes:.0%} DELETE, {w.item_bytes:,}-byte "
        f"items; {e.tasks} task{'s' * (e.tasks > 1)} of {s.cpu / 1024:g} vCPU / {s.memory} MiB"
        f"{above}",
        "",
        "| component | per month | per million requests |",
        "|---|---|---|",
    ]
    for name, cost in e.components.items():
        lines.append(f"| {name} | {_usd(cost)} | {_usd(cost / millions)} |")
    lines.append(f"| **total** | **{_usd(e.total)}** | **{_usd(e.per_million)}** |")
    prices = prices_for(s.region)
    unconfirmed = sorted({p.source for p in prices.values() if not p.confirmed})
    read_on = prices["alb_hour"].read_on
    lines += ["", f"Prices: {s.region} list prices of {read_on} (bench/prices.py)."]
    if unconfirmed:
        count = sum(1 for p in prices.values() if not p.confirmed)
        lines.append(
            f"{count} of {len(prices)} are not confirmed by a page quoting {s.region}'s own "
            f"figure; check them on: {', '.join(unconfirmed)}"
        )
    return "\n".join(lines) + "\n"


def example(stack: str = "dev", rate: float = 50) -> str:
    """The command's answer for ``stack`` at ``rate`` with the default mix, as the cost page
    shows it."""
    measured = workload_from(json.loads(CAPACITY_FILE.read_text()))
    s = stack_settings(stack)
    return render(s, rate, measured, estimate(s, rate, measured))


def main(argv: Sequence[str] | None = None) -> None:
    default = Workload()
    parser = argparse.ArgumentParser(prog="python3 dev.py cost", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", required=True, choices=stacks())
    parser.add_argument("--rate", type=float, required=True, help="requests per second")
    parser.add_argument("--gets", type=float, default=default.gets, help="share of GETs")
    parser.add_argument("--puts", type=float, default=default.puts, help="share of PUTs")
    parser.add_argument("--deletes", type=float, default=default.deletes)
    parser.add_argument("--item-bytes", type=int, default=default.item_bytes)
    parser.add_argument("--region", help="price the stack in another region")
    parser.add_argument("--regions", type=int, help="regions serving the rate between them")
    parser.add_argument("--consistency", choices=[m.value for m in Consistency])
    args = parser.parse_args(argv)
    try:
        if args.rate <= 0:
            raise BadRequest("--rate is requests per second, more than 0")
        # The access log's bytes per request, as the capacity run measured them.
        measured = workload_from(json.loads(CAPACITY_FILE.read_text()))
        w = workload(args.gets, args.puts, args.deletes, args.item_bytes, measured)
        s = stack_settings(args.stack)
        if args.region:
            s = dataclasses.replace(s, region=args.region)
        regions, mode = with_regions(s, args.regions, args.consistency)
        if regions == 1:
            print(render(s, args.rate, w, estimate(s, args.rate, w)), end="")
        else:
            e = regional_estimate(s, args.rate, w, regions, mode)
            print(render(s, args.rate, w, e, describe(regions, mode)), end="")
    except (BadRequest, BadRegions, NoPrices) as exc:
        sys.exit(f"python3 dev.py cost: {exc}")


if __name__ == "__main__":
    main()
