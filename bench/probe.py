"""A cold DELETE, for the benchmark's cold-start figure: a fresh interpreter imports a handler
module and invokes it once with an ALB event, as Lambda does after an init.

    python -m bench.probe MODULE KEY
"""

from __future__ import annotations

import importlib
import sys
from types import SimpleNamespace

from picus.contract import ITEM_PATH_PREFIX


def main(module: str, key: str) -> None:
    handler = importlib.import_module(module).handler
    event = {
        "httpMethod": "DELETE",
        "path": f"{ITEM_PATH_PREFIX}{key}",
        "headers": {},
        "body": "",
        "isBase64Encoded": False,
    }
    handler(event, SimpleNamespace(aws_request_id="probe"))


if __name__ == "__main__":
    main(*sys.argv[1:3])
