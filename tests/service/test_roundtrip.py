"""Any JSON object within DynamoDB's limits comes back as it was put, value for value; each
number in DynamoDB's own spelling, whichever backend holds it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from picus.errors import ErrorCode
from tests.corpus import canonical, objects, to_json
from tests.http import JSON
from tests.service.numbers import dynamodb_text, number_texts, refusal


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=objects)
def test_any_object_round_trips_exactly(http: httpx.Client, api_url: str, payload: Any) -> None:
    put = http.post(f"{api_url}/picus/put", content=to_json(payload).encode(), headers=JSON)
    assert put.status_code == 201, put.text
    got = http.get(f"{api_url}/picus/get/{put.json()['object_id']}")
    stored = json.loads(got.text, parse_float=Decimal, parse_int=Decimal)["payload"]
    assert canonical(stored) == canonical(payload)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(number_texts(), min_size=1, max_size=6))
@example(texts=["1.0", "1E+2", "100", "0.00100", "-0.0", "1e-130", "9.90E125"])
@example(texts=["1e-131"])
@example(texts=["1e126"])
@example(texts=["1" * 39])
@example(texts=["1" * 38 + "000"])
@example(texts=["1e9999999999999999999"])
def test_numbers_around_each_limit_read_back_as_dynamodb_spells_them_or_are_refused_by_name(
    http: httpx.Client, api_url: str, texts: list[str]
) -> None:
    response = http.post(
        f"{api_url}/picus/put", content=('{"n": [' + ",".join(texts) + "]}").encode(), headers=JSON
    )
    refusals = [reason for reason in map(refusal, texts) if reason is not None]
    if refusals:
        # The first number the codec meets that DynamoDB cannot hold is the one it names.
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == ErrorCode.INVALID_VALUE.code
        assert refusals[0] in error["message"], (texts, error["message"])
        return
    assert response.status_code == 201, response.text
    got = http.get(f"{api_url}/picus/get/{response.json()['object_id']}")
    # Each number's text as the API wrote it (the payload holds no strings).
    written = json.loads(got.text, parse_float=str, parse_int=str)["payload"]["n"]
    assert written == [dynamodb_text(t) for t in texts]
