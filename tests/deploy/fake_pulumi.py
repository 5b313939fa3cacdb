"""A ``pulumi`` executable for the release tests: it records every call and answers as the CLI
does, its outputs those of this repository's program run under Pulumi's mocks with the stack's
settings (tests/components/harness.py), so they change as ``config set`` and ``up`` change them.

State, in the JSON file named by ``FAKE_PULUMI_STATE``: ``stacks`` (name to config and outputs;
a stack not there does not exist), ``calls`` (each argv), ``api_url`` (the URL the outputs
give as ``apiUrl``, e.g. a local origin, served over plain http; each region's load balancer
is that origin too) and ``fail_up`` (every ``up``
fails, as the CLI does when AWS refuses a change).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import yaml

from components.region_outputs import REGIONS

ROOT = Path(__file__).resolve().parents[2]


def install(bin_dir: Path) -> Path:
    """Writes ``pulumi`` into ``bin_dir``; put that folder first on PATH."""
    executable = bin_dir / "pulumi"
    executable.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m tests.deploy.fake_pulumi "$@"\n'
    )
    executable.chmod(0o755)
    return executable


def new_state(path: Path, stacks: dict[str, dict[str, str]], api_url: str = "") -> None:
    """A state where each of ``stacks`` exists with that config and has never been updated."""
    state = {
        "stacks": {name: {"config": config, "outputs": {}} for name, config in stacks.items()},
        "calls": [],
        "ups": [],
        "api_url": api_url,
    }
    path.write_text(json.dumps(state))


def calls(path: Path) -> list[list[str]]:
    return list(json.loads(path.read_text())["calls"])


def configs_at_each_up(path: Path, stack: str) -> list[dict[str, str]]:
    """The stack's settings as each ``up`` found them, in order."""
    return [up["config"] for up in json.loads(path.read_text())["ups"] if up["stack"] == stack]


def run_up(path: Path, stack: str) -> None:
    """An ``up`` before the test's release, as an earlier one would have left the stack; it is
    not one of the calls the release made."""
    subprocess.run(
        [sys.executable, "-m", "tests.deploy.fake_pulumi", "up", "--stack", stack],
        env={**os.environ, "FAKE_PULUMI_STATE": str(path), "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
    )
    state = json.loads(path.read_text())
    state["calls"] = []
    path.write_text(json.dumps(state))


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def _stack_file_setting(stack: str, key: str) -> str | None:
    path = ROOT / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    value = config.get(key if ":" in key else f"picus:{key}")
    return None if value is None or isinstance(value, dict | list) else str(value)


def _settings(stack: str, config: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``pulumi config --json``: the stack file's keys and those set since; a secret without
    its value."""
    path = ROOT / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"
    committed = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    shown: dict[str, dict[str, Any]] = {}
    for key, value in committed.items():
        secret = isinstance(value, dict) and "secure" in value
        shown[key] = {"secret": True} if secret else {"value": value, "secret": False}
    for key, value in config.items():
        shown[key if ":" in key else f"picus:{key}"] = {"value": value, "secret": False}
    return shown


def _up(state: dict[str, Any], stack: str) -> int:
    entry = state["stacks"][stack]
    done = subprocess.run(
        [sys.executable, "-m", "tests.components.harness", f"{stack}@{stack.rsplit('/', 1)[-1]}"]
        + [f"{key}={value}" for key, value in entry["config"].items()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        return done.returncode
    exports = json.loads(done.stdout)["exports"]
    if state["api_url"]:
        # Every region's load balancer is the local origin too (deploy/alb_route.py).
        origin = {"apiUrl": state["api_url"], "https": False}
        exports.update(origin)
        for regional in exports.get(REGIONS, {}).values():
            regional.update(origin, albDnsName=urllib.parse.urlsplit(state["api_url"]).netloc)
    entry["outputs"] = exports
    return 0


def main(args: list[str]) -> int:
    path = Path(os.environ["FAKE_PULUMI_STATE"])
    state = json.loads(path.read_text())
    state["calls"].append(args)
    code = 0
    try:
        stack = _option(args, "--stack")
        if stack not in state["stacks"]:
            print(f"error: no stack named '{stack}' found", file=sys.stderr)
            return 255
        entry = state["stacks"][stack]
        if args[:3] == ["stack", "output", "--json"]:
            print(json.dumps(entry["outputs"]))
        elif args[:2] == ["config", "--json"]:
            print(json.dumps(_settings(stack, entry["config"])))
        elif args[:2] == ["config", "get"]:
            value = entry["config"].get(args[2], _stack_file_setting(stack, args[2]))
            if value is None:
                print(f"error: configuration key '{args[2]}' not found", file=sys.stderr)
                code = 1
            else:
                print(value)
        elif args[:2] == ["config", "set"]:
            entry["config"][args[2]] = args[3]
        elif args[0] == "up" and state.get("fail_up"):
            print("error: update failed", file=sys.stderr)
            code = 255
        elif args[0] == "up":
            state["ups"].append({"stack": stack, "config": dict(entry["config"])})
            code = _up(state, stack)
        elif args[0] == "destroy":
            entry["outputs"] = {}
        else:
            print(f"error: the fake CLI does not know {args}", file=sys.stderr)
            code = 2
        return code
    finally:
        path.write_text(json.dumps(state))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
