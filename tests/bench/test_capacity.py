"""The capacity run's rule: the highest rate within the latency objective, never a rate
bought with errors or a p99 past it; and its table renders from the committed file alone."""

from __future__ import annotations

import json

from bench.capacity import END, START, Step, sustained, table, task_sizes
from bench.cost import stack_config, stacks
from bench.result_files import CAPACITY_FILE
from docsite.pages import BENCHMARK


def _step(connections: int, rps: float, p99: float, errors: int = 0) -> Step:
    return Step(connections, rps, p99, errors, int(rps * 8), 90.0)


def test_the_sustained_rate_is_the_fastest_step_within_the_objective() -> None:
    steps = [_step(1, 60, 20), _step(2, 120, 40), _step(4, 200, 95), _step(8, 230, 180)]
    assert sustained(steps) == steps[2]


def test_a_faster_step_with_errors_or_a_slow_p99_does_not_count() -> None:
    steps = [_step(1, 60, 20), _step(2, 150, 40, errors=3), _step(4, 170, 100.5)]
    assert sustained(steps) == steps[0]
    assert sustained([_step(1, 60, 150)]) is None


def test_each_stack_is_measured_in_its_own_task_size() -> None:
    sizes = task_sizes()
    assert set(sizes) == set(stacks())
    for stack, (cpu, memory) in sizes.items():
        config = stack_config(stack)
        assert (cpu, memory) == (config["picus:cpu"], config["picus:memory"])


def test_the_committed_capacity_file_measured_every_stack_and_renders_in_the_readme() -> None:
    results = json.loads(CAPACITY_FILE.read_text())
    for stack, (cpu, memory) in task_sizes().items():
        entry = results["stacks"][stack]
        assert (entry["cpu"], entry["memory"]) == (cpu, memory), stack
        for name in ("ours", "flask"):
            steps = [Step(**s) for s in entry["contenders"][name]["steps"]]
            best = sustained(steps, results["objective_p99_ms"])
            assert best is not None, f"{stack} {name}: no step within the objective"
            assert entry["contenders"][name]["sustained_rps"] == best.requests_per_s
    readme = BENCHMARK.read_text()
    assert readme.split(START, 1)[1].split(END, 1)[0] == "\n" + table(results)
