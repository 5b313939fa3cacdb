"""The API's own OpenAPI document: what it says of each stack, and what the API does.

schemathesis runs as an API consumer's CI would: its command line, every check, every phase
(examples, coverage, fuzzing, stateful, the last following the document's ``links``), against
the local origin with auth off and with auth on, with ``schemathesis.toml`` (which says why a
check does not apply where one does not, and bounds an answer's time at a minute: no answer,
not a speed). Zero failures and no warnings.

A key the API hands out is a uuid4 no generator can guess, so every generated read of an item
is a 404 and only the document's example key can name a stored item: the run starts with an
item stored under it, as an API's test environment holds the data its document's examples name,
and the examples phase (whose cases do not vary with the seed) replaces and reads it before its
DELETE removes it. Without it, whether a read was ever answered with an item depended on the
links the stateful phase happened to follow, and a run that followed none to
``GET /picus/get/{key}`` failed on schemathesis' missing-test-data warning.

The example budget keeps the suite's time: ``PICUS_SCHEMATHESIS_EXAMPLES`` raises it, and the
seed a failing run prints (``Seed: N``) reproduces it through ``PICUS_SCHEMATHESIS_SEED``::

    PICUS_SCHEMATHESIS_EXAMPLES=1000 .venv/bin/python -m pytest tests/service/test_openapi.py
    PICUS_SCHEMATHESIS_SEED=N .venv/bin/python -m pytest tests/service/test_openapi.py
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import schemathesis

from docsite.examples import LOCAL_ORIGIN, examples
from docsite.pages import API
from picus.auth import Scope, ScopePolicy
from picus.contract import EXAMPLE_KEY, GET_PATH, ITEM_PATH, KEY_PATTERN, PARTITION_KEY
from picus.routing import rule_for
from service.codec import to_payload
from service.items import Created, new_item, utc_now
from service.openapi import BEARER_SCHEME, OIDC_SCHEME, StackAuth, document
from service.settings import Settings
from tests.auth_origin import auth_origin

ROOT = Path(__file__).resolve().parents[2]

#: The document of a public stack, which the tests' local origin is.
OPENAPI = document()
SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}  # type: ignore[union-attr]
#: Examples per operation and phase: the suite's budget, not a ceiling.
EXAMPLES = int(os.environ.get("PICUS_SCHEMATHESIS_EXAMPLES", "100"))
SEED = os.environ.get("PICUS_SCHEMATHESIS_SEED", "")
#: What the suite's runs add to the API page's command.
BUDGET = ["--max-examples", str(EXAMPLES), "--workers", "1", *(["--seed", SEED] if SEED else [])]
CONFIG = ROOT / "schemathesis.toml"


def schemathesis_command(api_url: str, config: Path = CONFIG, *, suite: bool = True) -> list[str]:
    """``schemathesis run`` with every check and every phase, as ``schemathesis.toml`` and the
    API page give it; ``suite``: in the suite's budget, in plain text."""
    return [
        str(Path(sys.executable).with_name("schemathesis")),
        *(["--no-color"] if suite else []),
        "--config-file",
        str(config),
        "run",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        *(BUDGET if suite else []),
        f"{api_url}/openapi.json",
    ]


def run_schemathesis(
    api_url: str, config: Path = CONFIG, *, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        schemathesis_command(api_url, config),
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_the_api_page_runs_what_the_suite_runs() -> None:
    # A consumer copies the page's command: the suite runs the same checks and phases.
    (block,) = (example for example in examples(API) if "bin/schemathesis" in example.code)
    page = shlex.split(block.code.split("\n# ")[0].replace("\\\n", " "))
    local = schemathesis_command(f"http://{LOCAL_ORIGIN}", Path("schemathesis.toml"), suite=False)
    assert page == [".venv/bin/schemathesis", *local[1:]]


def _clean(run: subprocess.CompletedProcess[str]) -> None:
    summary = run.stdout[-6000:]
    assert run.returncode == 0, summary
    assert "No issues found" in run.stdout, summary
    # Every phase ran and reached every operation: nothing skipped, no operation untested.
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in run.stdout, summary
    assert f"Tested: {len(OPERATIONS)}" in run.stdout, summary


@contextmanager
def example_item(settings: Settings) -> Iterator[None]:
    """An item stored under the document's example key for the examples phase, whose DELETE
    removes it last; gone after the run in any case."""
    client = boto3.client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.endpoint_url
    )
    item = new_item(Created(EXAMPLE_KEY, utc_now()), to_payload({"name": "example"}))
    client.put_item(TableName=settings.table_name, Item=item)
    try:
        yield
    finally:
        client.delete_item(TableName=settings.table_name, Key={PARTITION_KEY: {"S": EXAMPLE_KEY}})


def test_the_example_key_is_one_the_api_could_hand_out() -> None:
    # Otherwise schemathesis would drop the example as invalid, and no read would find an item.
    assert re.fullmatch(KEY_PATTERN, EXAMPLE_KEY)
    assert OPERATIONS["GET " + GET_PATH].definition.raw["parameters"][0]["example"] == EXAMPLE_KEY


def test_the_examples_phase_deletes_the_example_item_after_every_other_use_of_it() -> None:
    order = [
        op.label for layer in SCHEMA.get_operation_layers(list(OPERATIONS.values())) for op in layer
    ]
    (delete,) = (i for i, label in enumerate(order) if label.startswith("DELETE "))
    assert order[delete] == "DELETE " + ITEM_PATH
    for label in ("PUT " + ITEM_PATH, "GET " + ITEM_PATH, "GET " + GET_PATH):
        assert order.index(label) < delete, order


def test_schemathesis_finds_nothing_with_auth_off(settings: Settings, api_url: str) -> None:
    with example_item(settings):
        _clean(run_schemathesis(api_url))


def _least_privilege(
    spec: dict[str, Any], mint: Callable[[str], str]
) -> tuple[str, dict[str, str]]:
    """Configuration for each operation's token: of its own scope only, the one the document's
    ``security`` names, so the run shows each requirement is enough (and the API's 403 for a
    token without it is the edge's, tested elsewhere)."""
    lines: list[str] = []
    tokens: dict[str, str] = {}
    for _path, _method, op in _operations(spec):
        scopes = {
            name
            for requirement in op["security"]
            for names in requirement.values()
            for name in names
        }
        if not scopes:
            continue
        (scope,) = scopes
        variable = "PICUS_TOKEN_" + op["operationId"].upper()
        tokens[variable] = mint(scope)
        lines += [
            "[[operations]]",
            f'include-operation-id = "{op["operationId"]}"',
            f'headers = {{ Authorization = "Bearer ${{{variable}}}" }}',
            "",
        ]
    return "\n".join(lines), tokens


def test_schemathesis_finds_nothing_with_auth_on(
    settings: Settings, issuer: Any, http: httpx.Client, tmp_path: Path
) -> None:
    with auth_origin(settings, issuer) as url:
        spec = http.get(f"{url}/openapi.json").json()
        operations, tokens = _least_privilege(spec, lambda scope: issuer.mint([scope]))
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG.read_text() + "\n" + operations)
        with example_item(settings):
            _clean(run_schemathesis(url, config, env=tokens))


def test_the_load_balancers_own_answers_are_documented_as_html() -> None:
    from picus import alb

    paths = OPENAPI["paths"]
    delete = paths["/picus/{key}"]["delete"]["responses"]
    for status in ("413", "502"):
        assert list(delete[status]["content"]) == [alb.CONTENT_TYPE]
    for path, method in (
        ("/picus/put", "post"),
        ("/picus/get/{key}", "get"),
        ("/picus/list", "get"),
        ("/picus/{key}", "delete"),
    ):
        responses = paths[path][method]["responses"]
        # A public stack: no token to refuse, only the firewall's page.
        assert "401" not in responses
        assert list(responses["403"]["content"]) == [alb.CONTENT_TYPE]
    assert set(alb.PHRASES) == {401, 403, 413, 502}
    with_auth = document(StackAuth("https://login.example.com/", ScopePolicy()))["paths"]
    for path, method in (("/picus/put", "post"), ("/picus/{key}", "delete")):
        responses = with_auth[path][method]["responses"]
        assert list(responses["401"]["content"]) == [alb.CONTENT_TYPE]
        # The firewall's page, or the API's insufficient_scope error.
        assert set(responses["403"]["content"]) == {alb.CONTENT_TYPE, "application/json"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _example(path: str) -> str:
    # A path of the template, as a client would send it.
    return path.replace("{key}", EXAMPLE_KEY)


def test_a_public_stack_documents_no_security_at_all() -> None:
    assert "securitySchemes" not in OPENAPI["components"]
    assert "security" not in OPENAPI
    for path, method, op in _operations(OPENAPI):
        assert op["security"] == [], f"{method} {path}"


def test_with_auth_every_data_operation_requires_its_scope_and_nothing_else_is_optional() -> None:
    # Cognito-style scope names: the document names the stack's own.
    policy = ScopePolicy.from_env("read=picus/read,write=picus/write,delete=picus/delete")
    spec = document(StackAuth("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc", policy))
    schemes = spec["components"]["securitySchemes"]
    assert schemes[OIDC_SCHEME] == {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
        "/.well-known/openid-configuration",
        "description": schemes[OIDC_SCHEME]["description"],
    }
    assert schemes[BEARER_SCHEME]["scheme"] == "bearer"
    for path, method, op in _operations(spec):
        # The edge's rule for this operation says which scope, if any, a token needs.
        rule = rule_for(method.upper(), _example(path))
        assert rule is not None, f"{method} {path} is named by no rule"
        if not rule.authenticated:
            assert op["security"] == [], f"{method} {path} is open"
            continue
        assert rule.scope is not None
        needed = policy.names[rule.scope]
        # Alternatives, each requiring the scope: never the empty "{}" that means anonymous.
        assert op["security"] == [{OIDC_SCHEME: [needed]}, {BEARER_SCHEME: [needed]}]


def test_a_stack_with_auth_serves_its_own_document(http: httpx.Client, settings: Any) -> None:
    from dataclasses import replace

    from devkit.asgi import serving
    from service.app import create_app

    policy = ScopePolicy()
    app = create_app(
        replace(settings, auth_scopes=policy.to_env(), auth_issuer="https://login.example.com/")
    )
    with serving(app) as url:
        served = http.get(f"{url}/openapi.json").json()
    assert served == document(StackAuth("https://login.example.com/", policy))
    put = served["paths"]["/picus/put"]["post"]["security"]
    assert put == [{OIDC_SCHEME: ["picus:write"]}, {BEARER_SCHEME: ["picus:write"]}]
    assert Scope.WRITE in policy.names
    assert served["paths"][GET_PATH]["get"]["parameters"][0]["schema"]["pattern"] == KEY_PATTERN
    assert ITEM_PATH in served["paths"]
