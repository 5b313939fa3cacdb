"""The README documents every setting and every stack config key the code reads."""

from __future__ import annotations

import re

import yaml

from devkit import ROOT

README = (ROOT / "README.md").read_text()


def test_every_config_key_is_documented() -> None:
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key in keys:
        assert f"| `{key}` |" in README, key


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    assert "python3 dev.py serve" in README and "python3 dev.py test" in README
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()


def test_the_config_table_is_pulumi_yamls() -> None:
    # Each key's row names its default and the value each stack file gives it.
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    stacks = {
        path.name.split(".")[1]: yaml.safe_load(path.read_text())["config"]
        for path in sorted(ROOT.glob("Pulumi.*.yaml"))
    }
    for key, spec in keys.items():
        (row,) = [line for line in README.splitlines() if line.startswith(f"| `{key}` |")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        default = spec["default"]
        assert cells[2] == _shown(default), key
        for column, stack in enumerate(stacks, start=3):
            value = stacks[stack].get(f"picus:{key}", default)
            assert cells[column] == _shown(value), f"{key} in {stack}"


def _shown(value: object) -> str:
    # By type, not by equality: 1 == True and 0 == False, yet a count is no flag.
    if isinstance(value, bool):
        return str(value).lower()
    return "(empty)" if value == "" else str(value)


def test_pyproject_names_only_lock_files_that_exist() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    named = set(re.findall(r"lock/[\w.-]+\.txt", text))
    assert named, "pyproject.toml says which lock holds which group"
    for lock in named:
        assert (ROOT / lock).is_file(), lock


def test_the_logs_insights_query_names_the_access_fields() -> None:
    from picus.access_log import FIELDS

    (query,) = [
        block for block in README.split("```") if block.lstrip().startswith("fields @timestamp")
    ]
    for field in FIELDS:
        assert field in query, field
    assert "filter request_id" in query


def test_the_benchmark_table_is_the_committed_runs() -> None:
    # A figure nobody can regenerate from committed results is not a result.
    import json

    from bench.report import END, START, report

    results = json.loads((ROOT / "bench" / "results" / "reference.json").read_text())
    section = README.split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + report(results, results["command"])


def test_the_profile_table_is_the_committed_profile() -> None:
    import json

    from bench.report import PROFILE_END, PROFILE_START, profile_table

    results = json.loads((ROOT / "bench" / "results" / "profile.json").read_text())
    section = README.split(PROFILE_START, 1)[1].split(PROFILE_END, 1)[0]
    assert section == "\n" + profile_table(results)
