"""The stack through the Pulumi CLI, each call one command a deployer could type, and the
stack's settings as the CLI reads them. ``pulumi config set`` and ``pulumi up`` per step rather
than the Automation API: the Automation API drives the same CLI, and each step stays a command
a deployer can run by hand."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from deploy.preflight import StackUnavailable

ROOT = Path(__file__).resolve().parents[1]


class PulumiCli:
    """The stack through the CLI: each call one command a deployer could type."""

    def __init__(self, stack: str, run: Callable[..., Any] = subprocess.run) -> None:
        self.stack = stack
        self._run = run

    def set_config(self, key: str, value: str) -> None:
        self._run(["pulumi", "config", "set", key, value, "--stack", self.stack], check=True)

    def up(self) -> None:
        # --refresh: what runs is read first (a circuit breaker's rollback, a dead job's canary).
        command = ["pulumi", "up", "--yes", "--skip-preview", "--refresh", "--stack", self.stack]
        self._run(command, check=True)

    def outputs(self) -> dict[str, Any]:
        """The stack's outputs; StackUnavailable with the CLI's words when it cannot read it."""
        command = ["pulumi", "stack", "output", "--json", "--stack", self.stack]
        done = self._run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise StackUnavailable(done.stderr or done.stdout or "")
        values = json.loads(done.stdout or "{}")
        return values if isinstance(values, dict) else {}

    def config(self, key: str) -> str | None:
        """A setting as the CLI reads it (a secret decrypted), or None when unset."""
        command = ["pulumi", "config", "get", key, "--stack", self.stack]
        done = self._run(command, check=False, capture_output=True, text=True)
        return (done.stdout or "").strip() or None if done.returncode == 0 else None

    def settings(self) -> dict[str, Any]:
        """The stack's own settings, as ``pulumi config --json`` tells them: each key to
        ``{"value": ..., "secret": ...}``, a secret without its value."""
        command = ["pulumi", "config", "--json", "--stack", self.stack]
        done = self._run(command, check=True, capture_output=True, text=True)
        values = json.loads(done.stdout or "{}")
        return values if isinstance(values, dict) else {}

    def destroy(self) -> None:
        command = ["pulumi", "destroy", "--yes", "--skip-preview", "--refresh"]
        self._run([*command, "--stack", self.stack], check=True)


class StackSettings:
    """The stack's settings: Pulumi.yaml's defaults, then the stack's own. A secret reads as
    unset here (its value is the CLI's to decrypt)."""

    def __init__(self, stack: dict[str, Any], root: Path = ROOT) -> None:
        declared = yaml.safe_load((root / "Pulumi.yaml").read_text())["config"]
        self.values = {key: spec.get("default") for key, spec in declared.items()}
        for key, value in stack.items():
            if key.startswith("picus:"):
                self.values[key.removeprefix("picus:")] = value

    @classmethod
    def of_cli(cls, cli: PulumiCli) -> StackSettings:
        """As the CLI reads them: the stack file, or wherever the backend keeps them."""
        return cls({key: entry.get("value") for key, entry in cli.settings().items()})

    def get(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or isinstance(value, dict | list):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


class StackFiles(StackSettings):
    """The stack's settings as its committed file gives them: ``Pulumi.<stack_file>.yaml``."""

    def __init__(self, stack_file: str, root: Path = ROOT) -> None:
        path = root / f"Pulumi.{stack_file}.yaml"
        stack = (
            (yaml.safe_load(path.read_text()) or {}).get("config") or {} if path.exists() else {}
        )
        super().__init__(stack, root)
