"""Pulumi.yaml's autoscaling defaults are what the committed capacity file implies: a new
measurement that moves them fails here until both change together."""

from __future__ import annotations

import json

import pytest
import yaml

from bench.autoscaling import HEADROOM, Targets, measured, targets
from bench.cost import stack_config, stacks
from bench.result_files import CAPACITY_FILE
from devkit import ROOT
from docsite.pages import BENCHMARK

CAPACITY = {
    "stacks": {
        "dev": {
            "cpu": 256,
            "memory": 512,
            "contenders": {"ours": {"sustained_rps": 213.4, "cpu_percent": 97.2}},
        }
    }
}


def test_the_targets_keep_headroom_below_the_measured_capacity() -> None:
    assert HEADROOM == 0.6
    # 60% of 213.4 req/s is 128 whole requests/s, 7,680 a minute; 60% of 97.2% CPU is 58%.
    assert targets(CAPACITY, 256, 512) == Targets(requests_per_target=7680, cpu_target_percent=58)


def test_a_task_size_nobody_measured_has_no_targets() -> None:
    with pytest.raises(LookupError, match="1024 CPU units / 2048 MiB"):
        measured(CAPACITY, 1024, 2048)


def test_pulumi_yamls_defaults_are_what_the_committed_capacity_implies() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    capacity = json.loads(CAPACITY_FILE.read_text())
    implied = targets(capacity, config["cpu"]["default"], config["memory"]["default"])
    assert config["requestsPerTarget"]["default"] == implied.requests_per_target
    assert config["cpuTargetPercent"]["default"] == implied.cpu_target_percent


@pytest.mark.parametrize("stack", stacks())
def test_each_stacks_targets_are_what_its_task_size_implies(stack: str) -> None:
    # A stack with a bigger task sets its own targets; one without inherits the defaults.
    config = stack_config(stack)

    def setting(key: str) -> int:
        return int(config[f"picus:{key}"])

    capacity = json.loads(CAPACITY_FILE.read_text())
    implied = targets(capacity, setting("cpu"), setting("memory"))
    assert setting("requestsPerTarget") == implied.requests_per_target
    assert setting("cpuTargetPercent") == implied.cpu_target_percent


def test_the_readme_shows_the_derivation_from_the_committed_file() -> None:
    from bench.autoscaling import END, START, derivation

    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    capacity = json.loads(CAPACITY_FILE.read_text())
    expected = derivation(capacity, config["cpu"]["default"], config["memory"]["default"])
    readme = BENCHMARK.read_text()
    assert readme.split(START, 1)[1].split(END, 1)[0] == "\n" + expected
