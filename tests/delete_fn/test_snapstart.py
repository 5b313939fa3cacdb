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

import pytest

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


#: Python run as Lambda runs it at snapshot time, where nothing may raise: the network is
#: gone, the snapshot and restore hooks run, then one invocation.
HOSTILE_SCENARIO = """
import json, logging, socket, sys

attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("no network here")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
logging.basicConfig(stream=sys.stderr, level=logging.INFO)

import snapshot_restore_py as hooks
import delete_fn.handler as handler

for func, args, kwargs in reversed(hooks.BEFORE):
    func(*args, **kwargs)
for func, args, kwargs in hooks.AFTER:
    func(*args, **kwargs)
event = {"httpMethod": "DELETE", "path": "/picus/2f897e49-a179-4160-8056-d96c51aab199",
         "headers": {"x-request-id": "hostile-1"}, "body": "", "isBase64Encoded": False}
answer = handler.handler(event, type("C", (), {"aws_request_id": "r"})())
print(json.dumps({"status": answer["statusCode"], "body": json.loads(answer["body"]),
                  "network": attempts}))
"""

#: Environments a snapshot may be taken in, each with the status of its first invocation and
#: what names the cause: the function's log for a 500, the answer itself for a 503.
HOSTILE = {
    "no region": ({}, 500, "NoRegionError"),
    "scopes missing an operation": (
        {"AWS_DEFAULT_REGION": "eu-west-1", "PICUS_AUTH_SCOPES": "delete=picus:delete"},
        500,
        "PICUS_AUTH_SCOPES is invalid",
    ),
    "everything at once": (
        {"PICUS_AUTH_SCOPES": "delete=two words", "AWS_CONFIG_FILE": "{home}/malformed"},
        500,
        "PICUS_AUTH_SCOPES is invalid",
    ),
    # A valid configuration without credentials: init is fine, the call fails, cleanly.
    "no credentials": ({"AWS_DEFAULT_REGION": "eu-west-1"}, 503, "NoCredentialsError"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_init_never_raises_and_the_first_invocation_answers_why(name: str, tmp_path: Path) -> None:
    # given: Lambda's hook library, no AWS settings or credentials of any kind
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_LIBRARY)
    (tmp_path / "malformed").write_text("[default\nregion = \n")
    extra, status, cause = HOSTILE[name]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **{key: value.format(home=tmp_path) for key, value in extra.items()},
    }
    # when: the module is imported, snapshotted, restored and invoked
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(HOSTILE_SCENARIO)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then: nothing raised, nothing touched the network before the call, and the caller got
    # the API's JSON error while the log says why
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == status
    assert result["body"]["error"]["request_id"] == "hostile-1"
    assert result["body"]["error"]["code"] == (
        "internal_error" if status == 500 else "backend_unavailable"
    )
    if status == 500:
        assert "misconfigured" in result["body"]["error"]["message"]
        assert result["network"] == []
        assert cause in done.stderr
    else:
        assert cause in result["body"]["error"]["message"]
