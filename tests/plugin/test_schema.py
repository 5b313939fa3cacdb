"""The package's schema, which every language's SDK is generated from.

The schema is the one the engine gets (``GetSchema`` over gRPC, ``conftest.schema``), checked
against Pulumi's package metaschema, ``tests/data/pulumi-package-metaschema.json``: a verbatim
copy of pkg/codegen/schema/pulumi.json from github.com/pulumi/pulumi at commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8 (the file last changed in bd47908e0d1d, git blob
3a3c2e0f3046cda0ad5c06a5c979b813f4d099e0). Replace it with a newer copy the same way.
"""

from __future__ import annotations
import __future__

import copy
import inspect
import json
import re
import sys
import typing
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from jsonschema import Draft202012Validator, ValidationError
from pulumi.provider.experimental.component import ComponentProvider

from components.api_cluster import ApiCluster
from components.api_cluster_args import REQUIRED
from devkit import ROOT
from picus.version import VERSION
from plugin.__main__ import COMPONENTS, PACKAGE
from tests.plugin.conftest import TOKEN

METASCHEMA = ROOT / "tests" / "data" / "pulumi-package-metaschema.json"
TYPES_REF = "#/types/"


def _ecma(pattern: str) -> str:
    # The metaschema's patterns are ECMA-262, as JSON Schema says; Python's re spells a named
    # group (?P<name>...) where ECMA writes (?<name>...), and matches \d in ASCII only.
    return "(?a)" + re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", pattern)


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not re.search(_ecma(pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


PackageValidator = jsonschema.validators.extend(Draft202012Validator, {"pattern": _pattern})
#: Checks the metaschema's own patterns as ECMA-262 regular expressions.
_FORMATS = jsonschema.FormatChecker()


def _regex(instance: object) -> bool:
    return not isinstance(instance, str) or bool(re.compile(_ecma(instance)).pattern)


_FORMATS.checks("regex", raises=re.error)(_regex)


@pytest.fixture(scope="module")
def validator() -> Any:
    metaschema = json.loads(METASCHEMA.read_text())
    meta = PackageValidator(PackageValidator.META_SCHEMA, format_checker=_FORMATS)
    assert not _errors(meta, metaschema), "the metaschema is no JSON Schema 2020-12"
    return PackageValidator(metaschema)


def _errors(validator: Any, document: Mapping[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_the_schema_is_a_valid_pulumi_package(validator: Any, schema: dict[str, Any]) -> None:
    errors = _errors(validator, schema)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("version",), "1.0"),
        (("name",), "9picus"),
        (("resources", TOKEN, "inputProperties", "cpu", "type"), "int"),
        (("types", "picus:index:ClusterAuthArgs", "type"), "dict"),
    ],
)
def test_the_metaschema_refuses_a_broken_schema(
    validator: Any, schema: dict[str, Any], path: tuple[str, ...], value: str
) -> None:
    # A check that passes everything proves nothing: each of these breaks the package.
    broken = copy.deepcopy(schema)
    *parents, leaf = path
    target = broken
    for key in parents:
        target = target[key]
    target[leaf] = value
    assert _errors(validator, broken)


def test_the_package_is_named_and_versioned(schema: dict[str, Any]) -> None:
    assert schema["name"] == PACKAGE
    assert schema["version"] == VERSION
    assert schema["resources"][TOKEN]["isComponent"] is True


def test_the_engine_gets_the_schema_the_sdk_infers(schema: dict[str, Any]) -> None:
    # The plugin hosts its components, under the package's name and version.
    inferred = json.loads(ComponentProvider(COMPONENTS, PACKAGE, None, VERSION).schema or "{}")
    assert schema == inferred


def _properties(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every input and output of each component and every property of its types, by path."""
    for token, resource in schema["resources"].items():
        for kind in ("inputProperties", "properties"):
            for name, spec in resource[kind].items():
                yield f"{token} {kind}.{name}", spec
    for token, declared in schema["types"].items():
        for name, spec in declared.get("properties", {}).items():
            yield f"{token}.{name}", spec


def _typed(spec: Mapping[str, Any]) -> bool:
    if "$ref" in spec:
        return True
    if spec.get("type") == "array":
        return _typed(spec.get("items", {}))
    if spec.get("type") == "object" and "additionalProperties" in spec:
        return _typed(spec["additionalProperties"])
    return spec.get("type") in {"string", "integer", "number", "boolean", "object"}


def test_every_input_and_output_has_a_type_and_a_description(schema: dict[str, Any]) -> None:
    found = list(_properties(schema))
    assert len(found) > len(schema["resources"][TOKEN]["inputProperties"])
    untyped = [path for path, spec in found if not _typed(spec)]
    undescribed = [path for path, spec in found if not spec.get("description", "").strip()]
    assert not untyped, f"no type: {untyped}"
    assert not undescribed, f"no description (a docstring under the attribute): {undescribed}"


def test_every_type_and_the_component_have_a_description(schema: dict[str, Any]) -> None:
    described = {TOKEN: schema["resources"][TOKEN], **schema["types"]}
    missing = [
        token for token, spec in described.items() if not spec.get("description", "").strip()
    ]
    assert not missing, missing


def test_every_nested_type_is_declared(schema: dict[str, Any]) -> None:
    refs = {
        spec["$ref"].removeprefix(TYPES_REF)
        for _, spec in _properties(schema)
        if spec.get("$ref", "").startswith(TYPES_REF)
    }
    assert refs, "the args group their settings in types"
    assert refs <= schema["types"].keys()


def test_the_required_settings_are_the_ones_the_args_require(schema: dict[str, Any]) -> None:
    # A TypedDict's NotRequired marks lost on the way would make every setting required.
    resource = schema["resources"][TOKEN]
    required = set(resource.get("requiredInputs", []))
    for name, spec in resource["inputProperties"].items():
        ref = spec.get("$ref", "")
        if ref.startswith(TYPES_REF):
            inner = schema["types"][ref.removeprefix(TYPES_REF)].get("required", [])
            required |= {f"{name}.{leaf}" for leaf in inner}
    assert required == set(REQUIRED)


def _annotated_modules(typ: Any, seen: set[type]) -> Iterator[str]:
    """The modules of ``typ`` and of every TypedDict its annotations reach (postponed ones are
    strings, which reach nothing: their own module is then the one to fix)."""
    if not isinstance(typ, type) or typ in seen:
        return
    seen.add(typ)
    yield typ.__module__
    for annotation in inspect.get_annotations(typ).values():
        for part in _parts(annotation):
            if typing.is_typeddict(part):
                yield from _annotated_modules(part, seen)


def _parts(annotation: Any) -> Iterator[Any]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _parts(arg)


def test_the_component_modules_keep_their_annotations_evaluated() -> None:
    # Pulumi's analyzer reads annotations as objects (inspect.get_annotations, no eval_str):
    # `from __future__ import annotations` leaves strings, and a TypedDict then loses its
    # NotRequired marks; the analysis fails ("Could not find the type 'NotRequired[...]'").
    args = inspect.get_annotations(ApiCluster.__init__, eval_str=True)["args"]
    modules = {ApiCluster.__module__, *_annotated_modules(args, set())}
    postponed = [
        name
        for name in sorted(modules)
        if getattr(sys.modules[name], "annotations", None) is __future__.annotations
    ]
    assert not postponed, f"`from __future__ import annotations` in {postponed}"
