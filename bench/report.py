"""The benchmark's tables, rendered from a results JSON alone: a reader regenerates the
README's figures from the committed results without running anything.

    python -m bench.report bench/results/latest.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


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
    cold = results["cold_start_ms"]
    lines += [
        "",
        f"Lambda cold start (fresh process, import + first DELETE): ours {cold['ours']:.0f} ms, "
        f"boto3-resource baseline {cold['baseline']:.0f} ms, ratio "
        f"{_ratio(cold['ours'], cold['baseline'])}.",
        f"Local start (`python3 dev.py serve`, installed): /health answers after "
        f"{results['local_start_s']:.2f} s.",
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


def with_table(readme: str, table: str) -> str:
    """The README's text with the benchmark's section replaced by ``table``."""
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table}{END}{tail}"


def main(path: str) -> None:
    results = json.loads(Path(path).read_text())
    print(report(results, results.get("command", "python3 dev.py bench")), end="")


if __name__ == "__main__":
    main(sys.argv[1])
