"""A failing table gives a fast 503, never a hang; the service itself stays healthy."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from devkit.asgi import serving
from devkit.processes import free_port
from picus.errors import ErrorCode
from service.settings import Settings
from tests.http import JSON, assert_error

KEY = "2f897e49-a179-4160-8056-d96c51aab199"


@pytest.fixture
def black_hole() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.mark.parametrize("backend", ["refused", "black_hole"])
def test_a_dead_table_is_a_fast_503_and_health_stays_up(
    http: httpx.Client, settings: Settings, black_hole: str, backend: str
) -> None:
    from service.app import create_app

    endpoint = black_hole if backend == "black_hole" else f"http://127.0.0.1:{free_port()}"
    production = Settings()
    app = create_app(
        replace(
            settings,
            endpoint_url=endpoint,
            store_deadline=production.store_deadline,
            read_timeout=production.read_timeout,
        )
    )
    with serving(app) as url:
        requests = [
            http.build_request("POST", f"{url}/picus/put", content=b'{"a": 1}', headers=JSON),
            http.build_request("GET", f"{url}/picus/get/{KEY}"),
            http.build_request("GET", f"{url}/picus/list"),
        ]
        for request in requests:
            started = time.monotonic()
            response = http.send(request)
            assert time.monotonic() - started < production.store_deadline + 1
            assert_error(response, ErrorCode.BACKEND_UNAVAILABLE)
            assert response.headers["retry-after"] == "1"
        assert http.get(f"{url}/health").status_code == 200
