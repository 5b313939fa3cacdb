"""The failover drill on the local regions, in each consistency mode, with the stack's own health
checks and AWS's typical replication lag: how long until the next region serves everything, what
failed meanwhile, what acknowledged writes went missing, what keyed puts were stored twice, and
how long the regions took to agree once the stopped one returned (bench/failover_drill.py).

    python -m bench.failover            # a few minutes; writes bench/results/failover.json
    python -m bench.failover --report   # the table, from the committed figures

The figures are the local stand-in's (local/multi_region.py), not AWS's: the failover time is
the health checks' (interval x threshold, plus where in an interval the stop falls); the losses
are what the replication lag leaves unreplicated when a region stops. The calibration, a fixed
pure-Python workload, says whether two runs' machines compare (``bench.machine``).
"""

from __future__ import annotations

from typing import Any

from bench.codec import calibration_ms
from bench.failover_drill import drill
from bench.machine import machine_sentence, machine_state, record_run
from bench.result_files import FAILOVER_FILE
from bench.servers import use_local_credentials
from local.multi_region import MultiRegion, RegionsConfig
from picus.regions import (
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_INTERVAL,
    TYPICAL_REPLICATION_LAG_S,
    Consistency,
)

#: Each mode's regions: MRSC's are two of one region set, with the witness it models.
REGIONS = {
    Consistency.EVENTUAL: ("eu-west-1", "us-east-1"),
    Consistency.STRONG: ("eu-west-1", "eu-west-2"),
}
WORKERS = 3


def measure_mode(consistency: Consistency) -> dict[str, Any]:
    config = RegionsConfig(
        REGIONS[consistency],
        consistency,
        TYPICAL_REPLICATION_LAG_S,
        HEALTH_CHECK_INTERVAL,
        HEALTH_CHECK_FAILURE_THRESHOLD,
    )
    with MultiRegion(config).running() as stack:
        report = drill(stack, workers=WORKERS, steady_s=5.0, after_s=3.0)
    return {
        "regions": list(config.regions),
        "failover_s": report.failover_s,
        "failed_requests": report.failed_requests,
        "failed_after_switch": report.failed_after_switch,
        "requests": report.requests,
        "acked_writes": report.acked_writes,
        "missing_during_outage": len(report.missing_in_outage),
        "lost_after_recovery": len(report.lost),
        "doubled_items": len(report.doubled),
        "convergence_s": report.convergence_s,
        "converged": report.converged,
    }


def measure() -> dict[str, Any]:
    results: dict[str, Any] = {
        "command": "python -m bench.failover",
        "config": {
            "health_check_interval_s": HEALTH_CHECK_INTERVAL,
            "health_check_failure_threshold": HEALTH_CHECK_FAILURE_THRESHOLD,
            "replication_lag_s": TYPICAL_REPLICATION_LAG_S,
            "workers": WORKERS,
        },
        "machine_before": machine_state(),
        "calibration_ms": calibration_ms(),
        "modes": {},
    }
    for consistency in Consistency:
        results["modes"][consistency.value] = measure_mode(consistency)
    results["machine_after"] = machine_state()
    return results


def table(results: dict[str, Any]) -> str:
    """The local development page's table, from a results file alone."""
    config = results["config"]
    lines = [
        f"Command: `{results['command']}` ({config['workers']} clients through the front; health "
        f"checks every {config['health_check_interval_s']} s, "
        f"{config['health_check_failure_threshold']} failures to leave; eventual mode's lag "
        f"{config['replication_lag_s']:g} s).",
        "",
        "| mode | regions | failover s | failed attempts, each retry counted (of all) | "
        "failed after the switch | acknowledged writes | "
        "missing in the next region during the outage | lost after recovery | "
        "stored twice | regions agree after s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, m in results["modes"].items():
        agree = f"{m['convergence_s']:.1f}" if m["converged"] else "never"
        lines.append(
            f"| {mode} | {', '.join(m['regions'])} | {m['failover_s']:.1f} | "
            f"{m['failed_requests']} ({m['requests']}) | {m['failed_after_switch']} | "
            f"{m['acked_writes']} | "
            f"{m['missing_during_outage']} | {m['lost_after_recovery']} | "
            f"{m['doubled_items']} | {agree} |"
        )
    before, after = results["machine_before"], results["machine_after"]
    lines += [
        "",
        f"{machine_sentence(before, after)} Calibration (a fixed pure-Python workload): "
        f"{results['calibration_ms']:.1f} ms CPU.",
    ]
    lines += [f"Flag: {flag}." for flag in results.get("flags", [])]
    return "\n".join(lines) + "\n"


def main() -> None:
    use_local_credentials()
    record_run(measure, table, FAILOVER_FILE)


if __name__ == "__main__":
    main()
