"""SnapStart's runtime hooks, with the snapshot and the restore simulated: Lambda's hook
registry is plain Python (snapshot_restore_py), so a stand-in records what the handler
registers, and the test runs the hooks as Lambda would, then invokes the restored function."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from devkit import ROOT
from tests.python import loads_module

#: Lambda's library, as far as the handler uses it: two registries, run in Lambda's order.
FAKE_LIBRARY = """
BEFORE, AFTER = [], []

def register_before_snapshot(func, *args, **kwargs):
    BEFORE.append((func, args, kwargs))
    return func

def register_after_restore(func, *args, **kwargs):
    AFTER.append((func, args, kwargs))
    return func
"""

SCENARIO = """
import json, sys
import snapshot_restore_py as hooks
import delete_fn.handler as handler

before_client = handler._client
# The snapshot: hooks in reverse order of registration.
for func, args, kwargs in reversed(hooks.BEFORE):
    func(*args, **kwargs)
# The restore: hooks in order of registration.
for func, args, kwargs in hooks.AFTER:
    func(*args, **kwargs)
event = {"httpMethod": "DELETE", "path": "/picus/" + sys.argv[1], "headers": {},
         "body": "", "isBase64Encoded": False}
answer = handler.handler(event, type("C", (), {"aws_request_id": "r"})())
print(json.dumps({
    "registered": [len(hooks.BEFORE), len(hooks.AFTER)],
    "new_client": handler._client is not before_client,
    "status": answer["statusCode"],
}))
"""


def test_the_snapshot_and_restore_hooks(ddb_endpoint: str, tmp_path: Path) -> None:
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_LIBRARY)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "AWS_ENDPOINT_URL_DYNAMODB": ddb_endpoint,
    }
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCENARIO), "2f897e49-a179-4160-8056-d96c51aab199"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out.splitlines()[-1])
    assert result["registered"] == [0, 1]
    # Each restored environment has a client of its own, and it works: a DELETE of a key that
    # is not there is the API's 404, not a failure.
    assert result["new_client"] is True
    assert result["status"] == 404


def test_without_lambdas_library_the_handler_registers_nothing() -> None:
    assert not loads_module("delete_fn.handler", "snapshot_restore_py")
