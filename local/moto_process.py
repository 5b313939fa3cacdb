"""moto's DynamoDB in a process of its own: it boots on the other core while the API imports,
and serves without competing with the API for the GIL.

    python -m local.moto_process PORT [TABLE REGION [IDEMPOTENCY_TABLE]]

Serves on PORT and, given tables, creates them as the infrastructure does; prints the port once
it is ready (the tables included), then runs until its standard input closes.
"""

from __future__ import annotations

import contextlib
import io
import logging
import socket
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from local.moto_values import LargeValues

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class OneAtATime:
    """A WSGI app that answers one request at a time, and none whose client already left.

    DynamoDB applies each write, a transaction's items included, atomically: two conditional
    writers of one item never both succeed. moto's backend checks and writes in separate steps
    with no lock, so two requests on two server threads can both pass one condition (and a
    TransactWriteItems copying the table while another writes fails with a 500). Serialising the
    calls gives the API DynamoDB's atomicity; the connections themselves stay threaded, so an
    idle keep-alive connection blocks nobody.

    A call waits for the ones before it; if its client gave up meanwhile (the service's read
    timeout, or its deadline, closes the connection), it is not run at all: a write the service
    answered 503 to stays unwritten, and the calls behind it do not wait for it.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app
        self._lock = threading.Lock()
        #: How many calls were dropped because their client had left (for the tests).
        self.abandoned = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The whole request is read before waiting: a closed connection then reads as its end,
        # not as a body still to come.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        with self._lock:
            if client_left(environ):
                self.abandoned += 1
                start_response("499 Client Closed Request", [("Content-Length", "0")])
                return []
            # moto's responses are built whole, so the body is read under the lock too, and
            # the iterable closed as WSGI asks of whoever consumes it (PEP 3333).
            answer = self._app(environ, start_response)
            try:
                return list(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()


def client_left(environ: WSGIEnvironment) -> bool:
    """Whether the request's connection was closed by its client: werkzeug's server hands the
    connection over as ``werkzeug.socket``, and a closed one reads as its end at once."""
    connection = environ.get("werkzeug.socket")
    if not isinstance(connection, socket.socket):
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def main() -> None:
    port, *table = sys.argv[1:]
    # Its own access lines ("POST / HTTP/1.1" 200) are noise beside the API's.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = OneAtATime(LargeValues(DomainDispatcherApplication(create_backend_app)))
    server = make_server(
        "127.0.0.1", int(port), app, threaded=True, request_handler=MotoRequestHandler
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if table:
        from local.embedded import ensure_idempotency_table, ensure_table

        name, region, *records = table
        endpoint = f"http://127.0.0.1:{server.server_port}"
        ensure_table(name, region=region, endpoint_url=endpoint)
        for records_name in records:
            ensure_idempotency_table(records_name, region=region, endpoint_url=endpoint)
    print(server.server_port, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
