"""ApiClusterArgs and the stack's Pulumi.yaml declare one set of settings, described once.

The package's schema is inferred from the args (plugin/); each setting's description there is
Pulumi.yaml's description of its config key, followed by its default, and its default is the
one Pulumi.yaml declares.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition

from components.api_cluster import ApiCluster
from components.api_cluster_args import DEFAULTS, PATHS, REQUIRED
from components.cluster_settings import describe
from components.settings_reader import python_name
from devkit import ROOT

DECLARED: dict[str, dict[str, Any]] = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]


@cache
def _analyzed() -> tuple[dict[str, PropertyDefinition], dict[str, str]]:
    """Every setting of the inferred schema, and the Python key the provider hands the
    component it under, by its path (``scaling.minCount``)."""
    result = Analyzer("picus").analyze([ApiCluster])
    (cluster,) = result["component_definitions"].values()
    types = result["type_definitions"]
    found: dict[str, PropertyDefinition] = {}
    keys: dict[str, str] = {}
    for name, prop in cluster.inputs.items():
        if prop.ref is not None and prop.ref.startswith("#/types/"):
            group = types[prop.ref.rsplit(":", 1)[-1]]
            found |= {f"{name}.{leaf}": p for leaf, p in group.properties.items()}
            keys |= {f"{name}.{leaf}": k for leaf, k in group.properties_mapping.items()}
        else:
            found[name] = prop
            keys[name] = cluster.inputs_mapping[name]
    return found, keys


def inputs() -> dict[str, PropertyDefinition]:
    return _analyzed()[0]


def said(text: str | None) -> str:
    return " ".join((text or "").split())


def default_sentence(value: Any) -> str:
    """How a description states its default; an empty one means 'not set' and goes unsaid."""
    if value in ("", [], None) and not isinstance(value, list):
        return ""
    shown = json.dumps(value) if isinstance(value, bool | list) else str(value)
    return f" Default: {shown}."


def test_every_config_key_is_a_setting_and_every_setting_a_config_key() -> None:
    assert set(PATHS) == set(DECLARED)
    assert set(inputs()) == set(PATHS.values())


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_a_setting_is_described_and_defaulted_as_its_config_key(key: str) -> None:
    path = PATHS[key]
    declared = DECLARED[key]
    if path in REQUIRED:
        assert "default" not in declared or declared["default"] == "", key
        expected = said(declared["description"])
    else:
        default = DEFAULTS[path]
        # The deploy job writes canaryWeight, a number, as text.
        assert str(declared["default"]) == str(default), key
        expected = said(declared["description"]) + default_sentence(default)
    assert said(inputs()[path].description) == expected, (
        f"the docstring of {path} in components/api_cluster_args.py must read: {expected}"
    )


def test_a_problem_names_the_setting_as_the_args_spell_it() -> None:
    # The checks name config keys; a program that wrote the args reads its own paths.
    for key, path in PATHS.items():
        assert describe(f"picus:{key} is wrong") == f"{path} is wrong"
    # A value is not a key: a scope named picus:read stays as it is.
    assert describe("authScopes read=picus:read") == "authScopes read=picus:read"


def test_the_args_are_read_under_the_keys_the_provider_hands_them_over() -> None:
    # The provider maps each schema name to its Python key; the reader must find it there.
    for path, key in _analyzed()[1].items():
        assert python_name(path.rpartition(".")[2]) == key, path
