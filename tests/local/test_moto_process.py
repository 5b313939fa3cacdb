"""The embedded moto's front: one call at a time, none whose client left, and large values kept
beside moto with every answer the same as stock moto's."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from devkit.processes import wait_until
from local.embedded import ensure_table
from local.moto_process import OneAtATime
from local.moto_values import INLINE_BYTES, LargeValues, moto_size
from tests.backends import REGION

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@contextlib.contextmanager
def wsgi_server(app: WSGIApplication) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()


# --- one at a time, none whose client left --------------------------------------------------


class Blocking:
    """An app whose first call waits for ``release``; it records every call it ran."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.ran: list[str] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.ran.append(environ["PATH_INFO"])
        if len(self.ran) == 1:
            self.release.wait(10)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]


def _request(base: str, path: str) -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = b'{"TableName": "t"}'
    head = f"POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    return sock


def test_a_call_whose_client_left_while_it_waited_is_never_run() -> None:
    inner = Blocking()
    app = OneAtATime(inner)
    with wsgi_server(app) as base:
        first = _request(base, "/first")
        wait_until(lambda: inner.ran == ["/first"], "the first call did not start", 5)
        # The service's read timeout: the call is sent, then its connection closed.
        _request(base, "/abandoned").close()
        waiting = _request(base, "/waiting")
        time.sleep(0.3)  # both are queued behind the first now
        inner.release.set()
        assert first.recv(1024).startswith(b"HTTP/1.1 200")
        assert waiting.recv(1024).startswith(b"HTTP/1.1 200")
        first.close()
        waiting.close()
    assert inner.ran == ["/first", "/waiting"]
    assert app.abandoned == 1


# --- large values: the answers stock moto gives ---------------------------------------------


@pytest.fixture(scope="module")
def clients(monkeypatch_module: Any) -> Iterator[tuple[Any, Any]]:
    """A client of stock moto and one of moto behind :class:`LargeValues`, each with a table."""
    stock = DomainDispatcherApplication(create_backend_app)
    with wsgi_server(stock) as plain, wsgi_server(LargeValues(stock)) as fronted:
        made = []
        for endpoint, table in ((plain, "values_stock"), (fronted, "values_fronted")):
            ensure_table(table, region=REGION, endpoint_url=endpoint)
            made.append(boto3.client("dynamodb", region_name=REGION, endpoint_url=endpoint))
        yield made[0], made[1]


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "local")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        yield patch


def _large(seed: int) -> dict[str, Any]:
    numbers = [{"N": str(seed * 1000 + i)} for i in range(1500)]
    return {
        "M": {
            "list": {"L": numbers},
            "map": {"M": {f"k{i}": {"S": f"v{i}"} for i in range(300)}},
            "nested": {"L": [{"L": [{"NULL": True}, {"BOOL": False}, {"SS": ["a", "b"]}]}]},
        }
    }


def _answers(client: Any, table: str) -> list[Any]:
    """What moto answers to the API's calls on items with large values."""
    answers: list[Any] = []
    for key in ("a", "b"):
        item = {"object_id": {"S": key}, "payload": _large(ord(key)), "small": {"L": []}}
        client.put_item(TableName=table, Item=item)
    answers.append(client.get_item(TableName=table, Key={"object_id": {"S": "a"}})["Item"])
    answers.append(client.scan(TableName=table, Limit=10)["Items"])
    updated = client.update_item(
        TableName=table,
        Key={"object_id": {"S": "a"}},
        UpdateExpression="SET #p = :p",
        ExpressionAttributeNames={"#p": "payload"},
        ExpressionAttributeValues={":p": _large(7)},
        ReturnValues="ALL_NEW",
    )
    answers.append(updated["Attributes"])
    with pytest.raises(ClientError) as refused:
        client.put_item(
            TableName=table,
            Item={"object_id": {"S": "b"}, "payload": _large(9)},
            ConditionExpression="attribute_not_exists(object_id)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    answers.append(refused.value.response.get("Item"))
    answers.append(client.delete_item(TableName=table, Key={"object_id": {"S": "b"}}))
    answers[-1].pop("ResponseMetadata")
    return answers


def test_every_answer_is_stock_motos(clients: tuple[Any, Any]) -> None:
    stock, fronted = clients
    assert len(str(_large(0))) > INLINE_BYTES  # each payload is kept beside moto
    # botocore checks each answer's x-amz-crc32 too: a body changed without it would fail.
    assert _answers(fronted, "values_fronted") == _answers(stock, "values_stock")
    # Read past the front (both servers share moto's tables): moto holds a stand-in.
    held = stock.get_item(TableName="values_fronted", Key={"object_id": {"S": "a"}})["Item"]
    assert set(held["payload"]) == {"S"} and held["payload"]["S"].startswith("picus-value-")
    assert held["small"] == {"L": []}


def test_a_stand_in_is_as_large_as_moto_counts_the_value() -> None:
    value = {"M": {"ab": {"L": [{"N": "12"}, {"S": "xyz"}, {"BOOL": True}, {"NULL": True}]}}}
    assert moto_size(value) == len("ab") + 2 + 3 + 1 + 1
