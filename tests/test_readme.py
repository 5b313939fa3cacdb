"""The README documents every setting and every stack config key the code reads."""

from __future__ import annotations

import re

import yaml

from tests.backends import ROOT

README = (ROOT / "README.md").read_text()


def test_every_config_key_is_documented() -> None:
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key in keys:
        assert f"| `{key}` |" in README, key


def test_every_environment_setting_is_documented() -> None:
    source = (ROOT / "service" / "settings.py").read_text()
    for name in set(re.findall(r'"((?:PICUS|AWS)_[A-Z_]+)"', source)):
        assert f"`{name}`" in README, name


def test_the_two_commands_are_the_ones_ci_runs() -> None:
    assert "python3 dev.py serve" in README and "python3 dev.py test" in README
    assert "python3 dev.py test" in (ROOT / ".ci" / "run").read_text()
