"""The benchmark, one command: ``python3 dev.py bench`` (``--quick`` for a short run;
``--capacity`` for one task's capacity in each stack's limits instead: bench/capacity.py).

Everything runs on this machine, side by side in one run, the contenders interleaved
(A B C, A B C, ...) and each figure the median over the repetitions:

- ours: ``python -m service``, exactly the container's command;
- flask: Flask + gunicorn (2 workers x 2 threads, gthread) + a boto3 resource Table;
- fastapi: FastAPI ``def`` endpoints + a boto3 resource Table under one uvicorn worker;
- floors: one process making the same calls on one shared aioboto3 client, and a bare
  uvicorn endpoint returning a constant; in each repetition right after the contenders, so
  that ours/floor compares figures taken side by side.

The backend is dynalite behind a latency proxy (0 ms, then +5 ms each way).
Writes bench/results/latest.md and .json, and with --update-docs the benchmark page's table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.machine import calibration_flags, machine_state
from bench.report import report, with_table
from bench.result_files import REFERENCE_FILE, RESULTS
from bench.servers import start_dynalite, use_local_credentials
from bench.workloads import (
    LIST_SIZES,
    SEED_ITEMS,
    local_start_s,
    measure_cold_start,
    measure_list,
    measure_load,
    seed,
)
from devkit.latency_proxy import LatencyProxy
from picus.contract import TABLE_NAME


def main() -> None:
    if "--capacity" in sys.argv[1:]:
        # One task's capacity under the stacks' CPU and memory limits (bench/capacity.py).
        from bench import capacity

        sys.argv.remove("--capacity")
        capacity.main()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs, fewer repetitions")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    reps = 2 if args.quick else 3
    seconds, warmup = (4, 1) if args.quick else (8, 2)

    results: dict[str, Any] = {
        "command": "python3 dev.py bench" + (" --quick" if args.quick else ""),
        "config": {"repetitions": reps, "seconds": seconds},
        "machine_before": machine_state(),
    }
    use_local_credentials()
    dynalite, dynalite_port = start_dynalite()
    try:
        with LatencyProxy(dynalite_port).running() as proxy, tempfile.TemporaryDirectory() as tmp:
            endpoint = f"http://127.0.0.1:{proxy.port}"
            keys = seed(endpoint, TABLE_NAME, SEED_ITEMS)
            keys_file = Path(tmp) / "keys"
            keys_file.write_text("\n".join(keys))
            calls = 2000 if args.quick else 5000
            results["load"], floors = measure_load(
                proxy, endpoint, keys_file, reps, seconds, warmup, calls
            )
            results.update(floors)
            results["list"] = {str(n): measure_list(endpoint, n, reps, seconds) for n in LIST_SIZES}
            results["cold_start"] = measure_cold_start(endpoint, keys, reps * 5)
    finally:
        dynalite.terminate()
        dynalite.wait(10)
    starts = 2 * reps + 1
    results["config"]["local_starts"] = starts
    results["local_start_s"] = statistics.median(local_start_s() for _ in range(starts))
    results["machine_after"] = machine_state()
    calibration = results["load"]["bare"]["bare uvicorn"]["cpu_ms_per_request"]
    reference = REFERENCE_FILE.exists() and json.loads(REFERENCE_FILE.read_text())
    results["calibration_ms"] = calibration
    results["flags"] = calibration_flags(
        calibration, reference["calibration_ms"] if reference else None
    )

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    table = report(results, results["command"])
    (RESULTS / "latest.md").write_text(table)
    print(table)
    if args.update_docs:
        from docsite.pages import BENCHMARK

        BENCHMARK.write_text(with_table(BENCHMARK.read_text(), table))


if __name__ == "__main__":
    main()
