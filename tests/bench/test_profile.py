"""The profile's buckets: each sample counted once, for the part of the request path that
spent it, and the table rendered from the committed profile alone."""

from __future__ import annotations

import gzip
import json

from bench.profile import OTHER, breakdown, bucket_of
from bench.report import profile_table
from bench.result_files import PROFILE_FILE, folded_stacks_file
from tests.python import python_output

ROOTS = [
    "Runner.run (asyncio/runners.py:118)",
    "RequestResponseCycle.run_asgi (uvicorn/protocols/http/httptools_impl.py:422)",
    "Starlette.__call__ (starlette/applications.py:96)",
    "RequestContextMiddleware.__call__ (service/middleware.py:56)",
]
HANDLER = [*ROOTS, "Router.__call__ (starlette/routing.py:683)", "get (service/routes.py:84)"]
CALL = [
    *HANDLER,
    "Store.get (service/store.py:117)",
    "AioBaseClient._make_api_call (aiobotocore/client.py:400)",
    "AioEndpoint.create_request (aiobotocore/endpoint.py:80)",
]


def test_a_stage_owns_its_helpers_wherever_they_come_from() -> None:
    # botocore's header dict and hmac under the signer are signing, not request building.
    signing = [*CALL, "SigV4Auth.add_auth (botocore/auth.py:1)", "digest (hmac.py:1)"]
    assert bucket_of(signing) == "botocore: signing (SigV4)"
    headers = [*CALL, "SigV4Auth.add_auth (botocore/auth.py:1)"]
    assert bucket_of([*headers, "HeadersDict.__getitem__ (botocore/awsrequest.py:1)"]) == (
        "botocore: signing (SigV4)"
    )
    # The configured user agent is still the user agent; the access log's JSON is logging.
    configured = [*CALL, "UserAgentString._build_legacy_ua_string (botocore/useragent.py:1)"]
    assert bucket_of(configured) == "botocore: user agent"
    access = [*ROOTS, "Logger.info (logging/__init__.py:1)", "dumps (json/__init__.py:1)"]
    assert bucket_of(access) == "logging"


def test_a_layer_is_its_own_time_and_the_stdlib_it_calls() -> None:
    codec = [*HANDLER, "item_json (service/codec.py:10)", "dumps (json/__init__.py:1)"]
    assert bucket_of(codec) == "ours: handlers, store, codec"
    assert bucket_of(HANDLER[:-1]) == "Starlette"
    assert bucket_of(ROOTS) == "ours: middleware"
    assert bucket_of(ROOTS[:2]) == "uvicorn + httptools"
    assert bucket_of(ROOTS[:1]) == "event loop (uvloop, asyncio)"
    assert bucket_of(["<module> (somewhere/else.py:1)"]) == OTHER


def test_breakdown_counts_each_sample_once() -> None:
    folded = "\n".join(
        [
            ";".join(ROOTS[:1]) + " 3",
            ";".join([*CALL, "SigV4Auth.add_auth (botocore/auth.py:1)"]) + " 5",
            ";".join(HANDLER) + " 2",
        ]
    )
    result = breakdown(folded)
    assert result["samples"] == 10
    assert result["shares"] == {
        "botocore: signing (SigV4)": 0.5,
        "ours: handlers, store, codec": 0.2,
        "event loop (uvloop, asyncio)": 0.3,
    }
    assert next(iter(result["shares"])) == "botocore: signing (SigV4)"  # the buckets' order


def test_the_committed_profile_renders_from_its_json_and_its_stacks() -> None:
    results = json.loads(PROFILE_FILE.read_text())
    for op in ("get", "put"):
        # The shares are what the committed raw stacks give: a reader can re-bucket them.
        stacks = gzip.decompress(folded_stacks_file(op).read_bytes()).decode()
        assert breakdown(stacks) == {k: results[op][k] for k in ("samples", "shares")}
        assert results[op]["load"]["errors"] == 0
    printed = python_output("-m", "bench.report", str(PROFILE_FILE))
    assert printed == profile_table(results)
    rows = {line.split(" | ")[0] for line in printed.splitlines() if line.startswith("| ")}
    assert "| total" in rows and "| botocore: signing (SigV4)" in rows
