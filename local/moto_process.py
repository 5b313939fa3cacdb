"""moto's ThreadedMotoServer in a process of its own: it boots on the other core while the
API imports, and serves without competing with the API for the GIL.

    python -m local.moto_process PORT [TABLE REGION [IDEMPOTENCY_TABLE]]

Serves on PORT and, given tables, creates them as the infrastructure does; prints the port once
it is ready (the tables included), then runs until its standard input closes.
"""

from __future__ import annotations

import contextlib
import logging
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    port, *table = sys.argv[1:]
    # Its own access lines ("POST / HTTP/1.1" 200) are noise beside the API's.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(port), verbose=False)
    server.start()
    bound = server.get_host_and_port()[1]
    if table:
        from local.embedded import ensure_idempotency_table, ensure_table

        name, region, *records = table
        endpoint = f"http://127.0.0.1:{bound}"
        ensure_table(name, region=region, endpoint_url=endpoint)
        for records_name in records:
            ensure_idempotency_table(records_name, region=region, endpoint_url=endpoint)
    print(bound, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
