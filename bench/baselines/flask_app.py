"""Flask + boto3 resource Table, served by gunicorn with 2 workers x 2 threads (gthread)."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Flask, Response, request

from bench.baselines.common import dumps, new_item, scan_all, table

app = Flask(__name__)


@app.get("/health")
def health() -> Response:
    return Response('{"status": "ok"}', mimetype="application/json")


@app.post("/picus/put")
def put() -> tuple[Response, int]:
    payload = json.loads(request.get_data(), parse_float=Decimal)
    item = new_item(payload)
    table.put_item(Item=item)
    return Response(dumps({"object_id": item["object_id"]}), mimetype="application/json"), 201


@app.get("/picus/get/<key>")
def get(key: str) -> Response | tuple[Response, int]:
    item = table.get_item(Key={"object_id": key}, ConsistentRead=True).get("Item")
    if item is None:
        return Response('{"error": "not found"}', mimetype="application/json"), 404
    return Response(dumps(item), mimetype="application/json")


@app.get("/picus/list")
def list_items() -> Response:
    return Response(dumps({"items": scan_all()}), mimetype="application/json")
