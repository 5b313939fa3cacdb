"""What a stack takes and what it gives, as the configuration and deploy pages show them: the
settings table from ``Pulumi.yaml`` (each key's type, default, what each committed stack file
sets and its description) and the list of the stack's outputs from ``components/outputs.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from devkit import ROOT


def shown(value: object) -> str:
    """A setting's value as the table shows it."""
    # By type, not by equality: 1 == True and 0 == False, yet a count is no flag.
    if isinstance(value, bool):
        return str(value).lower()
    return "(empty)" if value == "" else str(value)


def stack_files(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """Each committed stack's config, by stack name."""
    return {
        path.name.split(".")[1]: yaml.safe_load(path.read_text())["config"]
        for path in sorted(root.glob("Pulumi.*.yaml"))
    }


def config_table(root: Path = ROOT) -> str:
    keys: dict[str, dict[str, Any]] = yaml.safe_load((root / "Pulumi.yaml").read_text())["config"]
    stacks = stack_files(root)
    header = " | ".join(["key", "type", "default", *stacks, "what it does"])
    lines = [f"| {header} |", "|" + "---|" * (4 + len(stacks))]
    for key, spec in keys.items():
        default = spec["default"]
        values = [shown(config.get(f"picus:{key}", default)) for config in stacks.values()]
        # A <placeholder> in a description is text, not an HTML tag.
        description = spec["description"].replace("<", "&lt;")
        cells = [f"`{key}`", spec["type"], shown(default), *values, description]
        lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines) + "\n"


def outputs_list(root: Path = ROOT) -> str:
    """Every output the stack exports, with what ``components/outputs.py`` says of it (the
    ``#:`` comment above its name)."""
    described: dict[str, str] = {}
    pending: list[str] = []
    for line in (root / "components" / "outputs.py").read_text().splitlines():
        if line.startswith("#:"):
            pending.append(line[2:].strip())
        elif ": Final = " in line:
            described[line.split('"')[1]] = " ".join(pending)
            pending = []
        else:
            pending = []
    items = [f"- `{name}`" + (f": {text}" if text else "") for name, text in described.items()]
    return "\n".join(items) + "\n"
