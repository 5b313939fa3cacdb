"""The benchmark's tables, rendered from a results JSON alone: a reader regenerates the
documentation's figures from the committed results without running anything.

    python -m bench.report bench/results/latest.json
    python -m bench.report bench/results/profile.json   # where the CPU goes (bench.profile)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PROFILE_START, PROFILE_END = "<!-- profile:start -->", "<!-- profile:end -->"
PROFILED = ("get", "put")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def report(results: dict[str, Any], command: str) -> str:
    load = results["load"]
    floor = results["floor_call_ms"]
    bare_cpu = load["bare"]["bare uvicorn"]["cpu_ms_per_request"]
    lines = [
        f"Command: `{command}` ({results['config']['repetitions']} interleaved repetitions of "
        f"{results['config']['seconds']} s at concurrency 64, medians; dynalite backend).",
        "",
        "| scenario | contender | req/s | p50 ms | p99 ms | errors | CPU ms/req | peak RSS MB |"
        " ours/this CPU | ours/this req/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scenario, by_name in load.items():
        if scenario == "bare":
            continue
        ours = by_name["ours"]
        for name, r in by_name.items():
            lines.append(
                f"| {scenario} | {name} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {r['errors']:.0f} | {r['cpu_ms_per_request']:.3f} | "
                f"{r['peak_rss_mb']:.0f} | "
                + (
                    ""
                    if name == "ours"
                    else _ratio(ours["cpu_ms_per_request"], r["cpu_ms_per_request"])
                )
                + " | "
                + ("" if name == "ours" else _ratio(ours["requests_per_s"], r["requests_per_s"]))
                + " |"
            )
    lines += [
        "",
        "| floor | CPU ms | ours/floor |",
        "|---|---|---|",
        f"| bare uvicorn, per request | {bare_cpu:.3f} | |",
    ]
    for op in ("get", "put"):
        ours_cpu = load[f"{op.upper()} +0ms"]["ours"]["cpu_ms_per_request"]
        for label, calls in (
            ("aioboto3", floor),
            ("the service's tuned client", results["tuned_call_ms"]),
        ):
            total = calls[op] + bare_cpu
            lines.append(
                f"| {label} {op} call + bare uvicorn | {total:.3f} | {_ratio(ours_cpu, total)} |"
            )
    lines += [
        "",
        "| list | contender | CPU ms/item | peak RSS MB | ours/this CPU |",
        "|---|---|---|---|---|",
    ]
    for size, by_name in results["list"].items():
        ours = by_name["ours"]
        for name, r in by_name.items():
            lines.append(
                f"| {size} items | {name} | {r['cpu_ms_per_item']:.4f} | {r['peak_rss_mb']:.0f} | "
                + ("" if name == "ours" else _ratio(ours["cpu_ms_per_item"], r["cpu_ms_per_item"]))
                + " |"
            )
    cold = results["cold_start"]
    ours, minimal, resource = cold["ours"], cold["minimal"], cold["baseline"]
    lines += [
        "",
        "| Lambda cold start (fresh process: import + first DELETE) | wall ms | CPU ms |"
        " ours/this wall | ours/this CPU |",
        "|---|---|---|---|---|",
        f"| ours (`delete_fn.handler`) | {ours['wall_ms']:.0f} | {ours['cpu_ms']:.0f} | | |",
    ]
    for label, r in (
        ("minimal: one boto3 client + DeleteItem", minimal),
        ("common: a boto3 resource `Table`", resource),
    ):
        lines.append(
            f"| {label} | {r['wall_ms']:.0f} | {r['cpu_ms']:.0f} | "
            f"{_ratio(ours['wall_ms'], r['wall_ms'])} | {_ratio(ours['cpu_ms'], r['cpu_ms'])} |"
        )
    lines += [
        "",
        f"Local start (`python3 dev.py serve`, installed): /health answers after "
        f"{results['local_start_s']:.2f} s (median of {results['config']['local_starts']}).",
    ]
    lines += _machine_lines(results)
    return "\n".join(lines) + "\n"


def _machine_lines(results: dict[str, Any]) -> list[str]:
    """The machine's state and the calibration, so a reader can judge the run."""
    if "machine_before" not in results:
        return []
    states = []
    for when in ("before", "after"):
        m = results[f"machine_{when}"]
        busy = f", busiest others: {', '.join(m['busiest'])}" if m["busiest"] else ""
        states.append(f"{when}: load {m['load_1m']:.2f}, steal {m['steal_pct']:.1f}%{busy}")
    cpus = results["machine_before"]["cpus"]
    lines = [
        f"Machine: {cpus} CPUs; {'; '.join(states)}. Calibration (bare uvicorn, CPU per "
        f"request): {results['calibration_ms']:.3f} ms.",
    ]
    lines += [f"FLAG: {flag}" for flag in results.get("flags", [])]
    return lines


def profile_table(results: dict[str, Any]) -> str:
    """Where the service's CPU goes per GET and PUT: each bucket's share of the samples, and
    that share of the CPU per request measured over the same window."""
    buckets: list[str] = []
    for op in PROFILED:
        buckets += [b for b in results[op]["shares"] if b not in buckets]
    header = " | ".join(f"{op.upper()} share | {op.upper()} CPU ms" for op in PROFILED)
    lines = [
        f"Command: `{results['command']}` (py-spy at {results['rate_hz']} Hz over "
        f"{results['seconds']:.0f} s of wrk load at concurrency 64 per operation; dynalite "
        f"backend; samples: "
        + ", ".join(f"{op.upper()} {results[op]['samples']}" for op in PROFILED)
        + ").",
        "",
        f"| where the service's CPU goes | {header} |",
        "|---|" + "---|---|" * len(PROFILED),
    ]
    for bucket in [*buckets, "total"]:
        cells = []
        for op in PROFILED:
            cpu = results[op]["load"]["cpu_ms_per_request"]
            share = 1.0 if bucket == "total" else results[op]["shares"].get(bucket, 0.0)
            cells.append(f"{share:.0%} | {share * cpu:.3f}")
        lines.append(f"| {bucket} | {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def with_table(readme: str, table: str, start: str = START, end: str = END) -> str:
    """A page's text with one of its generated sections replaced by ``table``."""
    head, _, rest = readme.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{table}{end}{tail}"


def main(path: str) -> None:
    results = json.loads(Path(path).read_text())
    if "shares" in results.get("get", {}):
        print(profile_table(results), end="")
    else:
        print(report(results, results.get("command", "python3 dev.py bench")), end="")


if __name__ == "__main__":
    main(sys.argv[1])
