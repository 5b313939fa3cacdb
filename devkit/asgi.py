"""ASGI apps under a real uvicorn on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp


@contextlib.contextmanager
def serving(app: ASGIApp, config: uvicorn.Config | None = None) -> Iterator[str]:
    """Serve ``app`` (lifespan included); yields its base URL. With ``config``, under those
    settings (the container's, say), ``app`` in place of the one it names."""
    # Bound here and handed over, so no other socket can take the port between a probe and
    # uvicorn's bind.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if config is None:
        config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False)
    else:
        config.app, config.factory = app, False
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()
