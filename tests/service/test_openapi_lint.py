"""The API's document, linted by the tools its consumers run on it: Spectral with its OpenAPI
rules (``.spectral.yaml``) and Redocly with its recommended ones (``redocly.yaml``), both from
``package.json``. They lint the document as the local origin serves it, with auth off and on,
and any error or warning, from either, fails. A rule turned off is in its tool's file with the
reason, and the API page names it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from docsite.pages import API
from service.openapi import document
from tests.auth_origin import auth_origin

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / "node_modules" / ".bin"
SPECTRAL_RULESET = ROOT / ".spectral.yaml"
REDOCLY_CONFIG = ROOT / "redocly.yaml"
README = API

#: Redocly's CLI reports usage and checks for updates unless told not to; the tests stay offline.
QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true"}


def _tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{path} is missing: `python3 dev.py test` installs it (npm ci)"
    return str(path)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **QUIET},
        check=False,
    )


def spectral(path: Path) -> list[str]:
    """Every result Spectral reports, of any severity, one line each."""
    # To a file of its own: on standard output Spectral follows the JSON with a sentence.
    report = path.with_name(path.name + ".spectral.json")
    run = _run(
        _tool("spectral"),
        "lint",
        "--ruleset",
        str(SPECTRAL_RULESET),
        "--format",
        "json",
        "--fail-severity",
        "hint",
        "--output",
        str(report),
        str(path),
    )
    # Exit 1 is "results found"; anything else (a bad ruleset, a crash) is no lint at all.
    assert run.returncode in (0, 1), run.stderr
    results: list[dict[str, Any]] = json.loads(report.read_text())
    problems = [f"{r['code']}: {r['message']} at {'/'.join(map(str, r['path']))}" for r in results]
    assert (run.returncode == 0) == (not problems), run.stdout + run.stderr
    return problems


def redocly(path: Path) -> list[str]:
    """Every problem Redocly reports, errors and warnings, one line each."""
    run = _run(
        _tool("redocly"), "lint", "--config", str(REDOCLY_CONFIG), "--format", "json", str(path)
    )
    assert run.returncode in (0, 1), run.stderr
    report: dict[str, Any] = json.loads(run.stdout)
    problems = [
        f"{p['ruleId']} ({p['severity']}): {p['message']} at {p['location'][0]['pointer']}"
        for p in report["problems"]
    ]
    # Nothing hidden by an ignore file (`redocly lint --generate-ignore-file`).
    assert report["totals"]["ignored"] == 0, report["totals"]
    return problems


@pytest.fixture(params=["auth off", "auth on"])
def served(
    request: pytest.FixtureRequest,
    http: httpx.Client,
    tmp_path: Path,
) -> Path:
    """``/openapi.json`` as the local origin serves it, byte for byte, in a file."""
    if request.param == "auth off":
        url: str = request.getfixturevalue("api_url")
        answer = http.get(f"{url}/openapi.json")
    else:
        settings, issuer = request.getfixturevalue("settings"), request.getfixturevalue("issuer")
        with auth_origin(settings, issuer) as url:
            answer = http.get(f"{url}/openapi.json")
    assert answer.status_code == 200, answer.text
    path = tmp_path / "openapi.json"
    path.write_bytes(answer.content)
    return path


def test_spectral_finds_nothing_in_the_served_document(served: Path) -> None:
    assert spectral(served) == []


def test_redocly_finds_nothing_in_the_served_document(served: Path) -> None:
    assert redocly(served) == []


def test_both_tools_report_a_document_without_servers(tmp_path: Path) -> None:
    # The clean runs above mean something: the same commands, rulesets and parsing report a
    # rule both enforce.
    spec = document()
    del spec["servers"]
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(spec))
    assert any(p.startswith("oas3-api-servers:") for p in spectral(path)), spectral(path)
    assert any(p.startswith("no-empty-servers (error)") for p in redocly(path)), redocly(path)


def _rules_off(config: Path) -> set[str]:
    rules: dict[str, Any] = yaml.safe_load(config.read_text()).get("rules", {})
    return {name for name, setting in rules.items() if setting == "off"}


def test_every_rule_turned_off_says_why_and_the_readme_names_it() -> None:
    section = README.read_text().split("## What the document promises, the API does")[1]
    section = section.split("\n## ")[0]
    for config in (SPECTRAL_RULESET, REDOCLY_CONFIG):
        lines = config.read_text().splitlines()
        for rule in _rules_off(config):
            at = next(i for i, line in enumerate(lines) if line.strip() == f"{rule}: off")
            # A comment right above the rule, saying why.
            assert at > 0 and lines[at - 1].lstrip().startswith("#"), f"{config.name}: {rule}"
            assert re.search(rf"`{re.escape(rule)}`", section), f"docs/api.md does not name {rule}"
