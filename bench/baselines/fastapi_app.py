"""FastAPI with plain ``def`` endpoints (run in its threadpool) + boto3 resource Table, under
one uvicorn worker."""

from __future__ import annotations

import json
from decimal import Decimal

from fastapi import FastAPI, Response

from bench.baselines.common import dumps, new_item, scan_all, table

app = FastAPI()


@app.get("/health")
def health() -> Response:
    return Response('{"status": "ok"}', media_type="application/json")


@app.post("/picus/put", status_code=201)
def put(body: dict) -> Response:  # type: ignore[type-arg]
    payload = json.loads(json.dumps(body), parse_float=Decimal)
    item = new_item(payload)
    table.put_item(Item=item)
    return Response(dumps({"object_id": item["object_id"]}), 201, media_type="application/json")


@app.get("/picus/get/{key}")
def get(key: str) -> Response:
    item = table.get_item(Key={"object_id": key}, ConsistentRead=True).get("Item")
    if item is None:
        return Response('{"error": "not found"}', 404, media_type="application/json")
    return Response(dumps(item), media_type="application/json")


@app.get("/picus/list")
def list_items() -> Response:
    return Response(dumps({"items": scan_all()}), media_type="application/json")
