"""A component's args as another language's SDK sends them in ``Construct``.

A TypeScript or Go program knows the component through the package's schema only: it writes
the schema's property names, nests objects, and every number travels as a protobuf double. The
Python args are turned into that form here by matching each key to a schema property, and no
name the schema lacks gets through.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from google.protobuf import struct_pb2  # type: ignore[import-untyped]

TYPES_REF = "#/types/"
#: How an output value travels in Pulumi's property values: this key, with this signature.
SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4"


@dataclass(frozen=True)
class OutputValue:
    """What a consumer passes from a resource of its own (``vpc.vpcId``): the value, unknown
    (None) in a preview, and the resources it comes from. The engine sends it as an output
    value to a provider that accepts them, as the Python provider does."""

    value: Any
    dependencies: tuple[str, ...]


def wire_inputs(
    schema: Mapping[str, Any], token: str, args: Mapping[str, Any]
) -> struct_pb2.Struct:
    """``args`` (Python names, as the component's own annotations say) for ``Construct``."""
    properties = schema["resources"][token]["inputProperties"]
    inputs = struct_pb2.Struct()
    inputs.update(_object(schema, properties, args, token))
    return inputs


def _object(
    schema: Mapping[str, Any], properties: Mapping[str, Any], value: Mapping[str, Any], path: str
) -> dict[str, Any]:
    # The schema's names are the Python names camel-cased: the same letters, no underscores.
    by_letters = {name.lower(): name for name in properties}
    wire: dict[str, Any] = {}
    for key, item in value.items():
        name = by_letters.get(key.replace("_", "").lower())
        assert name is not None, f"{path}: {key!r} has no property in the schema"
        if item is not None:
            wire[name] = _value(schema, properties[name], item, f"{path}.{name}")
    return wire


def _value(schema: Mapping[str, Any], spec: Mapping[str, Any], item: Any, path: str) -> Any:
    if isinstance(item, OutputValue):
        wire = {SIGNATURE_KEY: OUTPUT_VALUE, "dependencies": list(item.dependencies)}
        if item.value is not None:
            wire["value"] = _value(schema, spec, item.value, path)
        return wire
    ref: str = spec.get("$ref", "")
    if ref.startswith(TYPES_REF):
        declared = schema["types"][ref.removeprefix(TYPES_REF)]
        if "enum" not in declared:
            assert isinstance(item, Mapping), f"{path}: {item!r} is no object"
            return _object(schema, declared["properties"], item, path)
    if isinstance(item, Enum):
        return item.value
    if spec.get("type") == "array":
        assert isinstance(item, list | tuple), f"{path}: {item!r} is no list"
        return [_value(schema, spec["items"], x, f"{path}[{i}]") for i, x in enumerate(item)]
    if spec.get("type") == "object" and "additionalProperties" in spec:
        assert isinstance(item, Mapping), f"{path}: {item!r} is no map"
        return {
            k: _value(schema, spec["additionalProperties"], v, f"{path}.{k}")
            for k, v in item.items()
        }
    if isinstance(item, bool | str):
        return item
    if isinstance(item, int | float):
        return float(item)
    raise AssertionError(f"{path}: {item!r} cannot be sent as a plain value")
