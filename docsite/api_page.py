"""The API page's reference, rendered from the OpenAPI document the service serves: one row per
operation (who serves it, what it answers, which error codes it may give), then each operation's
description and parameters. The page says nothing of an operation the document does not."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from picus.contract import EXAMPLE_KEY
from picus.routing import rule_for

#: The document's methods, in the order a reader meets them.
METHODS: Final = ("get", "head", "post", "put", "delete", "patch", "options")
_ERROR_CODES: Final = re.compile(r"error codes: ([a-z_, ]+)")
_FROM_LOAD_BALANCER: Final = "from the load balancer"


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def served_by(method: str, path: str) -> str:
    rule = rule_for(method, path.replace("{key}", EXAMPLE_KEY))
    if rule is None:
        raise LookupError(f"no routing rule serves {method} {path}")
    return {"service": "service", "delete_fn": "Lambda"}[rule.target.value]


def _success(responses: Mapping[str, Any]) -> str:
    cells = []
    for status, response in responses.items():
        if status.startswith(("2", "3")):
            headers = ", ".join(f"`{name}`" for name in response.get("headers", {}))
            cells.append(
                f"`{status}` {response['description']}" + (f" ({headers})" if headers else "")
            )
    return "; ".join(cells)


def _errors(responses: Mapping[str, Any]) -> str:
    api, load_balancer = [], []
    for status, response in responses.items():
        if status.startswith(("2", "3")):
            continue
        codes = _ERROR_CODES.search(response["description"])
        if codes:
            named = ", ".join(f"`{code.strip()}`" for code in codes.group(1).split(","))
            api.append(f"{status} {named}")
        if _FROM_LOAD_BALANCER in response["description"]:
            load_balancer.append(status)
    cells = "; ".join(api)
    if load_balancer:
        cells += f"; {_FROM_LOAD_BALANCER}: {', '.join(load_balancer)}"
    return cells


def _parameters(operation: Mapping[str, Any]) -> list[str]:
    lines = []
    for parameter in operation.get("parameters", []):
        required = ", required" if parameter.get("required") else ""
        description = " ".join(parameter.get("description", "").split())
        lines.append(f"- `{parameter['name']}` ({parameter['in']}{required}): {description}")
    return lines


def render(document: Mapping[str, Any]) -> str:
    """The reference: the operations table, then a section per operation."""
    lines = [
        "| method and path | served by | success | errors |",
        "|---|---|---|---|",
    ]
    for method, path, operation in operations(document):
        responses = operation["responses"]
        lines.append(
            f"| `{method} {path}` | {served_by(method, path)} | {_success(responses)} "
            f"| {_errors(responses)} |"
        )
    for method, path, operation in operations(document):
        lines += [
            "",
            f"### `{method} {path}`",
            "",
            f"**{operation['summary']}** (`{operation['operationId']}`).",
        ]
        description = operation.get("description")
        if description:
            lines += ["", description.strip()]
        parameters = _parameters(operation)
        if parameters:
            lines += ["", *parameters]
    return "\n".join(lines) + "\n"
