"""Every generated table of the documentation is what its source renders today: the API
reference from the document the local origin serves, the settings from Pulumi.yaml, the
outputs from components/outputs.py, the cost from the cost model, the benchmark's and the
profile's from the committed results. ``python -m docsite`` (and each benchmark's
``--update-docs``) rewrites them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from bench.result_files import REFERENCE_FILE
from devkit import ROOT
from docsite import pages
from docsite.__main__ import generated
from docsite.api_page import render, served_by
from docsite.stack_tables import config_table, shown, stack_files

SECTIONS = sorted(generated(), key=lambda section: (section[0].name, section[1]))


@pytest.mark.parametrize(
    ("page", "name"), SECTIONS, ids=[f"{page.name}:{name}" for page, name in SECTIONS]
)
def test_each_generated_section_is_its_sources(page: Path, name: str) -> None:
    rendered = generated()[(page, name)]()
    assert pages.section(page.read_text(), name) == rendered.strip("\n"), (
        f"{page.name}'s {name} differs from its source: run python -m docsite"
    )


def test_the_api_reference_is_the_served_documents(api_url: str, http: httpx.Client) -> None:
    served = http.get(f"{api_url}/openapi.json").json()
    assert pages.section(pages.API.read_text(), "operations") == render(served).strip("\n")
    # Every operation the document declares has its row, named by who serves it.
    for path, item in served["paths"].items():
        for method in item:
            row = f"| `{method.upper()} {path}` | {served_by(method.upper(), path)} |"
            assert row in pages.API.read_text(), row


def test_the_delete_is_the_lambdas_and_the_rest_the_services() -> None:
    assert served_by("DELETE", "/picus/{key}") == "Lambda"
    assert served_by("PUT", "/picus/{key}") == "service"
    with pytest.raises(LookupError):
        served_by("GET", "/nowhere")


def test_the_settings_table_holds_each_stacks_value(tmp_path: Path) -> None:
    # A stack file's value shows in its column, the default where it sets none.
    (tmp_path / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {"config": {"count": {"type": "integer", "default": 1, "description": "a <n>"}}}
        )
    )
    (tmp_path / "Pulumi.a.yaml").write_text(yaml.safe_dump({"config": {"picus:count": 3}}))
    (tmp_path / "Pulumi.b.yaml").write_text(yaml.safe_dump({"config": {}}))
    assert config_table(tmp_path).splitlines()[2] == "| `count` | integer | 1 | 3 | 1 | a &lt;n> |"
    assert list(stack_files(tmp_path)) == ["a", "b"]
    assert (shown(True), shown(1), shown("")) == ("true", "1", "(empty)")


def test_every_config_key_and_output_is_documented() -> None:
    keys = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    configuration = pages.CONFIGURATION.read_text()
    for key in keys:
        assert f"| `{key}` |" in configuration, key
    from components import outputs

    deploy = pages.DEPLOY.read_text()
    for name, value in vars(outputs).items():
        if name.isupper() and isinstance(value, str):
            assert f"- `{value}`" in deploy, value


def test_the_benchmark_table_is_the_committed_runs() -> None:
    # A figure nobody can regenerate from committed results is not a result.
    from bench.report import END, START, report

    results = json.loads(REFERENCE_FILE.read_text())
    section = pages.BENCHMARK.read_text().split(START, 1)[1].split(END, 1)[0]
    assert section == "\n" + report(results, results["command"])


def test_the_profile_table_is_the_committed_profile() -> None:
    from bench.report import PROFILE_END, PROFILE_START, profile_table

    results = json.loads((ROOT / "bench" / "results" / "profile.json").read_text())
    text = pages.BENCHMARK.read_text()
    section = text.split(PROFILE_START, 1)[1].split(PROFILE_END, 1)[0]
    assert section == "\n" + profile_table(results)


def test_the_logs_insights_query_names_the_access_fields() -> None:
    from picus.access_log import FIELDS

    (query,) = [
        block
        for block in pages.OPERATIONS.read_text().split("```")
        if block.lstrip().startswith("fields @timestamp")
    ]
    for field in FIELDS:
        assert field in query, field
    assert "filter request_id" in query
