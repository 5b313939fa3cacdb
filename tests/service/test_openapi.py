"""schemathesis against the API's own OpenAPI document, every operation, DELETE included
through the local origin: no 5xx, and every response conforms to the document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.openapi import OPENAPI

SCHEMA = schemathesis.openapi.from_dict(OPENAPI)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}  # type: ignore[union-attr]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_the_served_document_is_the_one_tested(http: httpx.Client, api_url: str) -> None:
    assert http.get(f"{api_url}/openapi.json").json() == OPENAPI
    # put, get, list, delete and the two health paths
    assert len(OPERATIONS) == 6


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_every_operation_keeps_the_contract(api_url: str, label: str) -> None:
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(base_url=api_url, checks=CHECKS, timeout=30)

    check()


def test_the_load_balancers_own_answers_are_documented_as_html() -> None:
    from picus import alb

    paths = OPENAPI["paths"]
    delete = paths["/picus/{key}"]["delete"]["responses"]
    for status in ("401", "413", "502"):
        assert list(delete[status]["content"]) == [alb.CONTENT_TYPE]
    for path, method in (
        ("/picus/put", "post"),
        ("/picus/get/{key}", "get"),
        ("/picus/list", "get"),
        ("/picus/{key}", "delete"),
    ):
        responses = paths[path][method]["responses"]
        assert list(responses["401"]["content"]) == [alb.CONTENT_TYPE]
        # The firewall's page, or the API's insufficient_scope error.
        assert set(responses["403"]["content"]) == {alb.CONTENT_TYPE, "application/json"}
        assert paths[path][method]["security"][0]["bearer"][0].startswith("picus:")
    assert set(alb.PHRASES) == {401, 403, 413, 502}
