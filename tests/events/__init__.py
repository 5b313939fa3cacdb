"""Captured ALB target-group events; ``{key}`` stands for the item key under test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load_event(name: str, key: str = "") -> dict[str, Any]:
    text = (HERE / name).read_text()
    encoded = "".join(f"%{b:02X}" for b in key.encode())
    event: dict[str, Any] = json.loads(
        text.replace("{key_percent_encoded}", encoded).replace("{key}", key)
    )
    return event
