"""Clients generated from the API's document, the way its consumers make theirs: a Python client
by openapi-python-client, which runs the walkthrough against the local origin, and a TypeScript
client by openapi-generator's ``typescript-fetch``, which has every operation and every model.

Each generator runs once per test session (tests/generators.py) and fails on any warning it
counts as one: a schema it cannot read drops it, and every operation that refers to it."""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from picus import contract
from picus.errors import ErrorCode
from service.openapi import document
from tests.generators import (
    PYTHON_PACKAGE,
    generate_python,
    generate_typescript,
    write_document,
)

#: The document of a public stack, which the tests' local origin is.
OPENAPI = document()
SCHEMAS: dict[str, Any] = OPENAPI["components"]["schemas"]
OPERATIONS = [
    operation
    for methods in OPENAPI["paths"].values()
    for operation in methods.values()
    if isinstance(operation, dict) and "operationId" in operation
]
_REF = "#/components/schemas/"


@dataclass(frozen=True)
class PythonClient:
    """The generated package's pieces the walkthrough uses."""

    client: Any
    models: ModuleType
    put: ModuleType
    get: ModuleType
    replace: ModuleType
    list: ModuleType
    delete: ModuleType


@pytest.fixture(scope="module")
def python_client(tmp_path_factory: pytest.TempPathFactory, api_url: str) -> Iterator[PythonClient]:
    folder = tmp_path_factory.mktemp("python-client")
    generate_python(write_document(OPENAPI, folder), folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        package = importlib.import_module(PYTHON_PACKAGE)

        def operation(name: str) -> ModuleType:
            return importlib.import_module(f"{PYTHON_PACKAGE}.api.items.{name}")

        with package.Client(base_url=api_url, raise_on_unexpected_status=True) as client:
            yield PythonClient(
                client=client,
                models=importlib.import_module(f"{PYTHON_PACKAGE}.models"),
                put=operation("put_item"),
                get=operation("get_item"),
                replace=operation("replace_item"),
                list=operation("list_items"),
                delete=operation("delete_item"),
            )


def _error_code(answer: Any) -> str:
    code: str = answer.parsed.error.code.value
    return code


def test_the_generated_python_client_runs_the_walkthrough(python_client: PythonClient) -> None:
    api, client = python_client, python_client.client
    payload = api.models.Payload.from_dict
    body = {"name": "picus", "tags": ["a", "b"], "count": 3, "more": {"ratio": 1.5, "ok": None}}
    # given a create sent with a key of its own
    idempotency_key = str(uuid.uuid4())
    created = api.put.sync_detailed(
        client=client, body=payload(body), idempotency_key=idempotency_key
    )
    assert created.status_code == 201, created.content
    key = getattr(created.parsed, contract.PARTITION_KEY)
    assert re.fullmatch(contract.KEY_PATTERN, key)
    assert created.headers["Location"] == contract.ITEM_PATH.format(key=key)
    # when it is sent again, it is answered as the first time
    again = api.put.sync_detailed(
        client=client, body=payload(body), idempotency_key=idempotency_key
    )
    assert again.status_code == 201, again.content
    assert getattr(again.parsed, contract.PARTITION_KEY) == key
    assert again.headers["Idempotent-Replayed"] == "true"
    # then the item reads back as sent, with the version to replace
    read = api.get.sync_detailed(key, client=client)
    assert read.status_code == 200, read.content
    assert read.parsed.payload.to_dict() == body
    version = read.headers["ETag"]
    # a replace naming that version is stored; one naming it again has lost the race
    changed = {**body, "count": 4, "tags": []}
    replaced = api.replace.sync_detailed(
        key, client=client, body=payload(changed), if_match=version
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.parsed.payload.to_dict() == changed
    assert getattr(replaced.parsed, contract.UPDATED_AT) >= getattr(
        read.parsed, contract.CREATED_AT
    )
    stale = api.replace.sync_detailed(key, client=client, body=payload(body), if_match=version)
    assert stale.status_code == 412, stale.content
    assert _error_code(stale) == ErrorCode.PRECONDITION_FAILED.code
    # the listing has it, page after page
    listed: dict[str, Any] = {}
    page = api.list.sync(client=client, limit=contract.LIST_MAX_LIMIT)
    while True:
        listed.update({getattr(item, contract.PARTITION_KEY): item for item in page.items})
        if page.next_cursor is None:
            break
        page = api.list.sync(client=client, limit=contract.LIST_MAX_LIMIT, cursor=page.next_cursor)
    assert listed[key].payload.to_dict() == changed
    # and the delete of the version last written is the item's end
    deleted = api.delete.sync_detailed(key, client=client, if_match=replaced.headers["ETag"])
    assert deleted.status_code == 200, deleted.content
    assert deleted.parsed.deleted == key
    gone = api.get.sync_detailed(key, client=client)
    assert gone.status_code == 404, gone.content
    assert _error_code(gone) == ErrorCode.NOT_FOUND.code


def test_a_refusal_reaches_the_generated_python_client_as_the_error_model(
    python_client: PythonClient,
) -> None:
    api = python_client
    refused = api.put.sync_detailed(client=api.client, body=api.models.Payload.from_dict({"": 1}))
    assert refused.status_code == 400, refused.content
    assert isinstance(refused.parsed, api.models.Error)
    assert refused.parsed.error.request_id == refused.headers["X-Request-Id"]


@pytest.fixture(scope="module")
def typescript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("typescript-client")
    return generate_typescript(write_document(OPENAPI, folder), folder)


def _any_value(schema: dict[str, Any]) -> bool:
    """A schema generators read as "any JSON value": no type, no shape of its own."""
    shapes = ("type", "properties", "anyOf", "oneOf", "allOf", "enum", "const", "$ref")
    return not any(keyword in schema for keyword in shapes)


def _model(typescript: Path, schema: str) -> tuple[str, str]:
    """The TypeScript name of a component schema, and its interface's body. typescript-fetch
    prefixes ``Model`` to a name TypeScript has already (Error)."""
    for name in (schema, f"Model{schema}"):
        path = typescript / "models" / f"{name}.ts"
        if path.exists():
            found = re.search(
                rf"^export interface {name} \{{(.*?)^\}}", path.read_text(), re.M | re.S
            )
            assert found, f"{path} declares no interface {name}"
            return name, found.group(1)
    raise AssertionError(f"the TypeScript client has no model for {schema}")


def _camel(name: str) -> str:
    """A wire name as typescript-fetch names its field or its type (``modelPropertyNaming``'s
    default, camelCase)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _spelled(typescript: Path, schema: dict[str, Any]) -> str:
    """How the TypeScript client spells a schema referred to."""
    target = SCHEMAS[schema["$ref"].removeprefix(_REF)]
    return "any" if _any_value(target) else _model(typescript, schema["$ref"].removeprefix(_REF))[0]


def test_the_typescript_client_has_every_operation(typescript: Path) -> None:
    apis = "".join(path.read_text() for path in (typescript / "apis").glob("*.ts"))
    for operation in OPERATIONS:
        name = operation["operationId"]
        assert f"async {name}Raw(" in apis, f"typescript-fetch dropped {name}"
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            request = re.search(
                rf"^export interface {name[0].upper()}{name[1:]}Request \{{(.*?)^\}}",
                apis,
                re.M | re.S,
            )
            assert request, f"{name} takes no request"
            assert f": {_spelled(typescript, body['schema'])};" in request.group(1), name


def test_the_typescript_client_has_every_model_with_its_fields(typescript: Path) -> None:
    for schema_name, schema in SCHEMAS.items():
        if _any_value(schema):
            continue
        _, interface = _model(typescript, schema_name)
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            assert f"[key: string]: {_spelled(typescript, values)};" in interface, schema_name
        for field, spec in schema.get("properties", {}).items():
            declared = re.search(rf"^\s+{_camel(field)}\??: (.+);$", interface, re.M)
            assert declared, f"{schema_name}.{field} is missing from the TypeScript client"
            if "$ref" in spec:
                assert declared.group(1) == _spelled(typescript, spec), f"{schema_name}.{field}"
            elif "$ref" in spec.get("items", {}):
                assert declared.group(1) == f"Array<{_spelled(typescript, spec['items'])}>"
