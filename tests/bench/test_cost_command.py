"""``python3 dev.py cost``: one stack at your own rate, mix, item size and region, per component
and per million requests; a region without prices, or a mix that is no mix, is refused in one
line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.cost import SECONDS_PER_MONTH, Workload, estimate, stack_settings
from bench.cost_command import BadRequest, main, workload
from devkit import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "cost", *args],
        capture_output=True,
        text=True,
        # On a fresh checkout dev.py first installs lock/docs.txt (a subset of lock/dev.txt).
        timeout=300,
    )


def rows(text: str) -> dict[str, list[str]]:
    return {
        cells[0]: cells[1:]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| component")
        for cells in [[c.strip(" *") for c in line.strip("|").split("|")]]
    }


def test_the_command_prints_each_component_per_month_and_per_million() -> None:
    ran = run("--stack", "dev", "--rate", "50")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("dev in eu-west-1 at 50 requests/s")
    table = rows(ran.stdout)
    s = stack_settings("dev")
    expected = estimate(s, 50, Workload(log_bytes_per_request=table_log_bytes()))
    assert set(table) == {*expected.components, "total"}
    month, per_million = (float(v.strip("$").replace(",", "")) for v in table["total"])
    assert month == pytest.approx(expected.total, abs=0.01)
    assert per_million == pytest.approx(month / (50 * SECONDS_PER_MONTH / 1e6), abs=0.01)
    assert "eu-west-1 list prices" in ran.stdout


def table_log_bytes() -> int:
    import json

    from bench.cost import workload_from
    from bench.result_files import CAPACITY_FILE

    return workload_from(json.loads(CAPACITY_FILE.read_text())).log_bytes_per_request


def test_mix_item_size_and_region_move_the_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--stack", "prod", "--rate", "400"])
    base = rows(capsys.readouterr().out)
    main(["--stack", "prod", "--rate", "400", "--gets", "0.5", "--puts", "0.45"])
    writes = rows(capsys.readouterr().out)
    main(["--stack", "prod", "--rate", "400", "--item-bytes", "9000"])
    large = rows(capsys.readouterr().out)
    main(["--stack", "prod", "--rate", "400", "--region", "us-east-1"])
    east = capsys.readouterr().out

    def usd(table: dict[str, list[str]], name: str) -> float:
        return float(table[name][0].strip("$").replace(",", ""))

    ddb = "DynamoDB requests"
    assert usd(writes, ddb) > usd(base, ddb)
    assert usd(large, ddb) > usd(base, ddb)
    assert usd(large, "data out to the internet") > usd(base, "data out to the internet")
    assert east.startswith("prod in us-east-1") and usd(rows(east), "total") < usd(base, "total")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--region", "ap-south-1"], "no prices for ap-south-1"),
        (["--gets", "0.5"], "add up to 1"),
        (["--item-bytes", "0"], "--item-bytes is 1..409,600"),
        (["--rate", "0"], "--rate is requests per second"),
    ],
)
def test_what_cannot_be_estimated_is_refused_in_one_line(args: list[str], says: str) -> None:
    given = ["--stack", "dev", "--rate", "50"]
    for flag, value in zip(args[::2], args[1::2], strict=True):
        if flag in given:
            given[given.index(flag) + 1] = value
        else:
            given += [flag, value]
    with pytest.raises(SystemExit) as refused:
        main(given)
    said = str(refused.value.code)
    assert said.startswith("python3 dev.py cost: ") and says in said
    assert "\n" not in said


def test_a_mix_is_shares_of_the_requests() -> None:
    assert workload(0.6, 0.3, 0.1, 2_000, Workload()).response_bytes == 2_000
    with pytest.raises(BadRequest):
        workload(0.9, 0.3, -0.2, 1_000, Workload())


def test_several_regions_add_replication_to_each_regions_stack() -> None:
    ran = run("--stack", "dev", "--rate", "50", "--regions", "3", "--consistency", "strong")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("dev in 3 regions, strong (MRSC) at eu-west-1's prices")
    table = rows(ran.stdout)
    for line in ("DynamoDB replicated writes", "Route 53 health checks", "Fargate tasks"):
        assert line in table, line
    refused = run("--stack", "dev", "--rate", "50", "--regions", "4", "--consistency", "strong")
    assert refused.returncode != 0
    assert "exactly 3 regions, or 2 and a witness (here 4)" in refused.stderr
