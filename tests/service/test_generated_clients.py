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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from picus import contract
from picus.auth import ScopePolicy
from picus.errors import ErrorCode
from service.openapi import StackAuth, document
from tests.auth_origin import auth_origin
from tests.generators import generate_python, generate_typescript, write_document

if TYPE_CHECKING:
    from local.auth import LocalIssuer
    from service.settings import Settings

#: The documents of a public stack and of one with auth on, as each serves its own.
DOCUMENTS = {
    "public": document(),
    "auth": document(StackAuth("https://issuer.test", ScopePolicy())),
}
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


@pytest.fixture(scope="module", params=list(DOCUMENTS))
def python_client(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    issuer: LocalIssuer,
) -> Iterator[PythonClient]:
    """A client generated from the document an origin serves, talking to that origin: the
    local one, or one with auth on, with a token of every scope."""
    stack: str = request.param
    with ExitStack() as stack_scope:
        if stack == "auth":
            url = stack_scope.enter_context(auth_origin(settings, issuer))
        else:
            url = request.getfixturevalue("api_url")
        served = httpx.get(url + contract.OPENAPI_PATH, timeout=30).json()
        folder = tmp_path_factory.mktemp(f"python-client-{stack}")
        # A package name of each stack's own: both are imported in one process.
        package_name = f"picus_generated_{stack}"
        generate_python(write_document(served, folder), folder, package_name)
        patch = stack_scope.enter_context(pytest.MonkeyPatch.context())
        patch.syspath_prepend(str(folder))
        package = importlib.import_module(package_name)

        def operation(name: str) -> ModuleType:
            return importlib.import_module(f"{package_name}.api.items.{name}")

        if stack == "auth":
            token = issuer.mint(list(ScopePolicy().names.values()))
            client = package.AuthenticatedClient(
                base_url=url, token=token, raise_on_unexpected_status=True
            )
        else:
            client = package.Client(base_url=url, raise_on_unexpected_status=True)
        with client as connected:
            yield PythonClient(
                client=connected,
                models=importlib.import_module(f"{package_name}.models"),
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
    models = api.models
    body = {"name": "picus", "tags": ["a", "b"], "count": 3, "more": [{"ratio": 1.5, "ok": None}]}
    # given a create sent with a key of its own
    idempotency_key = str(uuid.uuid4())
    created = api.put.sync_detailed(
        client=client, body=payload(body), idempotency_key=idempotency_key
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.Created)
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
    assert isinstance(read.parsed, models.Item)
    assert isinstance(read.parsed.payload, models.Payload)
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
        assert isinstance(page, models.Page)
        listed.update({getattr(item, contract.PARTITION_KEY): item for item in page.items})
        if page.next_cursor is None:
            break
        page = api.list.sync(client=client, limit=contract.LIST_MAX_LIMIT, cursor=page.next_cursor)
    assert listed[key].payload.to_dict() == changed
    # and the delete of the version last written is the item's end
    deleted = api.delete.sync_detailed(key, client=client, if_match=replaced.headers["ETag"])
    assert deleted.status_code == 200, deleted.content
    assert isinstance(deleted.parsed, models.Deleted)
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


@dataclass(frozen=True)
class TypeScriptClient:
    folder: Path
    document: dict[str, Any]

    @property
    def schemas(self) -> dict[str, Any]:
        schemas: dict[str, Any] = self.document["components"]["schemas"]
        return schemas

    def model(self, schema: str) -> tuple[str, str]:
        """The TypeScript name of a component schema, and its interface's body. typescript-fetch
        prefixes ``Model`` to a name TypeScript has already (Error)."""
        for name in (schema, f"Model{schema}"):
            path = self.folder / "models" / f"{name}.ts"
            if path.exists():
                source = path.read_text()
                found = re.search(rf"^export interface {name} \{{(.*?)^\}}", source, re.M | re.S)
                assert found, f"{path} declares no interface {name}"
                return name, found.group(1)
        raise AssertionError(f"the TypeScript client has no model for {schema}")

    def spelled(self, schema: dict[str, Any]) -> str:
        """How the client spells a schema referred to: ``any`` for any JSON value."""
        name = schema["$ref"].removeprefix(_REF)
        return "any" if _any_value(self.schemas[name]) else self.model(name)[0]


@pytest.fixture(scope="module", params=list(DOCUMENTS))
def typescript(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> TypeScriptClient:
    spec = DOCUMENTS[request.param]
    folder = tmp_path_factory.mktemp(f"typescript-client-{request.param}")
    return TypeScriptClient(generate_typescript(write_document(spec, folder), folder), spec)


def _any_value(schema: dict[str, Any]) -> bool:
    """A schema generators read as "any JSON value": no type, no shape of its own."""
    shapes = ("type", "properties", "anyOf", "oneOf", "allOf", "enum", "const", "$ref")
    return not any(keyword in schema for keyword in shapes)


def _camel(name: str) -> str:
    """A wire name as typescript-fetch names a field (``modelPropertyNaming``'s default)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for methods in spec["paths"].values()
        for operation in methods.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]


def test_the_typescript_client_has_every_operation(typescript: TypeScriptClient) -> None:
    apis = "".join(path.read_text() for path in (typescript.folder / "apis").glob("*.ts"))
    for operation in _operations(typescript.document):
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
            assert f": {typescript.spelled(body['schema'])};" in request.group(1), name


def test_the_typescript_client_has_every_model_with_its_fields(
    typescript: TypeScriptClient,
) -> None:
    for schema_name, schema in typescript.schemas.items():
        if _any_value(schema):
            continue
        _, interface = typescript.model(schema_name)
        values = schema.get("additionalProperties")
        if isinstance(values, dict):
            assert f"[key: string]: {typescript.spelled(values)};" in interface, schema_name
        for field, spec in schema.get("properties", {}).items():
            declared = re.search(rf"^\s+{_camel(field)}\??: (.+);$", interface, re.M)
            assert declared, f"{schema_name}.{field} is missing from the TypeScript client"
            if "$ref" in spec:
                assert declared.group(1) == typescript.spelled(spec), f"{schema_name}.{field}"
            elif "$ref" in spec.get("items", {}):
                assert declared.group(1) == f"Array<{typescript.spelled(spec['items'])}>"
