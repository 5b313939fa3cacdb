"""moto's ThreadedMotoServer in a process of its own: it boots on the other core while the
API imports, and serves without competing with the API for the GIL.

Prints its port, then runs until its standard input closes.
"""

from __future__ import annotations

import contextlib
import logging
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    # Its own access lines ("POST / HTTP/1.1" 200) are noise beside the API's.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(server.get_host_and_port()[1], flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
