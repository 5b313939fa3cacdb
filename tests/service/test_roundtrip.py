"""Any JSON object within DynamoDB's limits comes back exactly as it was put."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings

from tests.corpus import canonical, objects, to_json
from tests.http import JSON


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=objects)
def test_any_object_round_trips_exactly(http: httpx.Client, api_url: str, payload: Any) -> None:
    put = http.post(f"{api_url}/picus/put", content=to_json(payload).encode(), headers=JSON)
    assert put.status_code == 201, put.text
    got = http.get(f"{api_url}/picus/get/{put.json()['object_id']}")
    stored = json.loads(got.text, parse_float=Decimal, parse_int=Decimal)["payload"]
    assert canonical(stored) == canonical(payload)
