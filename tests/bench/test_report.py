"""The report is a pure function of a results JSON: its ratios and rows, and the README's
section replaced with it, checked without running a benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import END, START, report, with_table
from tests.python import python_output


def load_result(rps: float, cpu: float) -> dict[str, float]:
    return {
        "requests_per_s": rps,
        "p50_ms": 1.0,
        "p99_ms": 4.0,
        "errors": 0.0,
        "cpu_ms_per_request": cpu,
        "peak_rss_mb": 60.0,
    }


RESULTS: dict[str, Any] = {
    "command": "python3 dev.py bench --quick",
    "config": {"repetitions": 2, "seconds": 4, "local_starts": 5},
    "load": {
        "GET +0ms": {"ours": load_result(4000, 0.5), "flask": load_result(1000, 1.0)},
        "PUT +0ms": {"ours": load_result(3000, 0.6), "flask": load_result(1000, 1.2)},
        "bare": {"bare uvicorn": load_result(20000, 0.05)},
    },
    "floor_call_ms": {"get": 0.45, "put": 0.5},
    "tuned_call_ms": {"get": 0.3, "put": 0.35},
    "list": {
        "1000": {
            "ours": {"cpu_ms_per_item": 0.01, "peak_rss_mb": 70.0},
            "flask": {"cpu_ms_per_item": 0.04, "peak_rss_mb": 90.0},
        }
    },
    "cold_start": {
        "ours": {"wall_ms": 330.0, "cpu_ms": 300.0},
        "minimal": {"wall_ms": 300.0, "cpu_ms": 250.0},
        "baseline": {"wall_ms": 440.0, "cpu_ms": 400.0},
    },
    "local_start_s": 1.25,
}


def test_the_tables_and_their_ratios() -> None:
    text = report(RESULTS, RESULTS["command"])
    lines = text.splitlines()
    assert lines[0].startswith("Command: `python3 dev.py bench --quick` (2 interleaved")
    # ours/this: 0.5 / 1.0 CPU, 4000 / 1000 req/s
    assert "| GET +0ms | flask | 1000 | 1.0 | 4.0 | 0 | 1.000 | 60 | 0.50x | 4.00x |" in lines
    assert "| bare uvicorn, per request | 0.050 | |" in lines
    # the service's GET CPU against the stock call plus bare uvicorn: 0.5 / (0.45 + 0.05)
    assert "| aioboto3 get call + bare uvicorn | 0.500 | 1.00x |" in lines
    assert "| 1000 items | flask | 0.0400 | 90 | 0.25x |" in lines
    # the function against the minimal handler (330 / 300 wall, 300 / 250 CPU), then boto3's
    assert "| minimal: one boto3 client + DeleteItem | 300 | 250 | 1.10x | 1.20x |" in lines
    assert "| common: a boto3 resource `Table` | 440 | 400 | 0.75x | 0.75x |" in lines
    assert "after 1.25 s (median of 5)." in text


def test_the_machine_and_its_calibration_are_reported_and_flags_shown() -> None:
    state = {"cpus": 2, "load_1m": 0.31, "steal_pct": 0.4, "busiest": ["java 12%"]}
    results = {
        **RESULTS,
        "machine_before": state,
        "machine_after": {**state, "busiest": []},
        "calibration_ms": 0.05,
        "flags": ["calibration 0.050 ms/request is 1.67x the reference run's 0.030: ..."],
    }
    text = report(results, results["command"])
    assert "Machine: 2 CPUs; before: load 0.31, steal 0.4%, busiest others: java 12%;" in text
    assert "after: load 0.31, steal 0.4%." in text
    assert "Calibration (bare uvicorn, CPU per request): 0.050 ms." in text
    assert "FLAG: calibration 0.050 ms/request is 1.67x" in text


def test_a_calibration_far_from_the_reference_is_flagged() -> None:
    from bench.machine import calibration_flags

    assert calibration_flags(0.030, 0.031) == []
    assert calibration_flags(0.030, None) == []
    (flag,) = calibration_flags(0.050, 0.030)
    assert "1.67x the reference run's" in flag


def test_the_readme_section_is_replaced_and_nothing_else() -> None:
    readme = f"intro\n{START}\nold table\n{END}\nrest\n"
    assert with_table(readme, "new\n") == f"intro\n{START}\nnew\n{END}\nrest\n"


def test_a_reader_regenerates_the_table_from_the_json(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    printed = python_output("-m", "bench.report", str(results))
    assert printed == report(RESULTS, RESULTS["command"])
