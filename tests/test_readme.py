"""The README's commands are the ones that exist and the ones CI runs; the locks it relies on
exist."""

from __future__ import annotations

import re

from devkit import ROOT

README = (ROOT / "README.md").read_text()


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    assert "python3 dev.py serve" in README and "python3 dev.py test" in README
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()


def test_every_dev_py_command_the_readme_names_exists() -> None:
    dev = (ROOT / "dev.py").read_text()
    for command in set(re.findall(r"python3 dev\.py (\w+)", README)):
        # deploy and destroy come with the release tooling (deploy/), which dev.py runs.
        assert f'"{command}":' in dev or command in {"deploy", "destroy"}, command


def test_pyproject_names_only_lock_files_that_exist() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    named = set(re.findall(r"lock/[\w.-]+\.txt", text))
    assert named, "pyproject.toml says which lock holds which group"
    for lock in named:
        assert (ROOT / lock).is_file(), lock
