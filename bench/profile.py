"""Where one GET and one PUT spend the service's CPU: ``python -m bench.profile``.

The service runs exactly as the container runs it (``python -m service``) against dynalite,
under wrk's sustained load at concurrency 64; py-spy samples it from outside, without pausing
it, over a measured window after a warm-up. Each sample goes to one bucket: a stage of the
DynamoDB call (signing, the user agent...) when any of its frames is in one, else the layer
(Starlette, our middleware...) of its innermost recognised frame.

Writes ``bench/results/profile.json`` and the raw stacks (``profile-get.folded.gz`` and
``profile-put.folded.gz``; gunzipped, speedscope loads them); ``python -m bench.report``
renders the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load import run_load
from bench.machine import machine_state
from bench.result_files import PROFILE_FILE, folded_stacks_file
from bench.servers import Server, start_dynalite, start_ours, use_local_credentials
from bench.workloads import seed
from picus.contract import TABLE_NAME

PY_SPY = Path(sys.executable).parent / "py-spy"
RATE_HZ = 250

#: Stages of a call, each owning every sample with one of its frames anywhere in the stack,
#: the first listed winning: the signer's own helpers (hmac, botocore's header dict) count as
#: signing, the access log's JSON as logging.
STAGES: tuple[tuple[str, str], ...] = (
    ("botocore: parameter validation", r"botocore/validate\.py"),
    ("botocore: signing (SigV4)", r"botocore/auth\.py|signers\.py"),
    ("botocore: user agent", r"botocore/useragent\.py"),
    ("botocore: endpoint resolution", r"endpoint_provider\.py|regions\.py|_resolve_endpoint"),
    ("botocore: response parsing", r"parsers\.py|_RawItemsJSONParser"),
    ("botocore: retries", r"botocore/retries/|retryhandler\.py|_needs_retry"),
    ("logging", r"logging/|service/logs\.py|picus/access_log\.py"),
)
#: Layers, each owning the samples whose innermost recognised frame is its own (its self
#: time); frames matching nothing here (the stdlib's json, uuid, contextlib...) count for the
#: layer that called them. Every stack has the event loop and uvicorn at its root, so these
#: count only what they run themselves.
LAYERS: tuple[tuple[str, str], ...] = (
    ("botocore: request building", r"serialize\.py|awsrequest\.py|_convert_to_request_dict"),
    ("aiohttp (the DynamoDB connection)", r"aiohttp/|aiobotocore/httpsession\.py"),
    ("botocore: events and call plumbing", r"botocore/|aiobotocore/|aioboto3/"),
    ("ours: middleware", r"service/middleware\.py|picus/"),
    ("ours: handlers, store, codec", r"service/"),
    ("Starlette", r"starlette/"),
    ("uvicorn + httptools", r"uvicorn/|httptools"),
    ("event loop (uvloop, asyncio)", r"asyncio/|uvloop"),
)
BUCKETS = tuple(bucket for bucket, _ in (*STAGES, *LAYERS))
OTHER = "other"
_STAGES = tuple((bucket, re.compile(pattern)) for bucket, pattern in STAGES)
_LAYERS = tuple((bucket, re.compile(pattern)) for bucket, pattern in LAYERS)


def bucket_of(frames: list[str]) -> str:
    """``frames`` from the root (the event loop) to the leaf, as py-spy writes them."""
    for bucket, pattern in _STAGES:
        if any(pattern.search(frame) for frame in frames):
            return bucket
    for frame in reversed(frames):
        for bucket, pattern in _LAYERS:
            if pattern.search(frame):
                return bucket
    return OTHER


def breakdown(folded: str) -> dict[str, Any]:
    """Share of samples per bucket, from py-spy's raw output (``frame;frame;... count``)."""
    counts: Counter[str] = Counter()
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            counts[bucket_of(stack.split(";"))] += int(count)
    total = sum(counts.values())
    return {
        "samples": total,
        "shares": {b: counts[b] / total for b in (*BUCKETS, OTHER) if counts[b]},
    }


def start_sampling(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy attached to a running process for ``seconds``, never pausing it."""
    command = [
        str(PY_SPY), "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--nonblocking",
        "--format", "raw", "--output", str(out), "--duration", str(seconds),
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def profile_operation(server: Server, script: str, seconds: int, *args: str) -> dict[str, Any]:
    run_load(server, script, 2, 1, *args)  # warm: pools open, caches full
    with tempfile.TemporaryDirectory() as tmp:
        folded = Path(tmp) / "out.folded"
        sampler = start_sampling(server.process.pid, seconds, folded)
        load = run_load(server, script, seconds, 0, *args)
        if sampler.wait(60) != 0:
            raise RuntimeError("py-spy failed; it needs ptrace (root, or ptrace_scope 0)")
        text = folded.read_text()
    return {"load": load.__dict__, **breakdown(text), "folded": text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    if not PY_SPY.exists():
        sys.exit("py-spy is missing: python3 dev.py test installs the dev lock")
    use_local_credentials()
    results: dict[str, Any] = {
        "command": "python -m bench.profile",
        "seconds": args.seconds,
        "rate_hz": RATE_HZ,
        "machine_before": machine_state(),
    }
    dynalite, port = start_dynalite()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        keys = seed(endpoint, TABLE_NAME, 1000)
        with tempfile.NamedTemporaryFile("w", suffix=".keys") as keys_file:
            keys_file.write("\n".join(keys))
            keys_file.flush()
            server = start_ours(endpoint, TABLE_NAME)
            try:
                for op, script, extra in (
                    ("get", "get.lua", (keys_file.name,)),
                    ("put", "put.lua", ()),
                ):
                    print(f"profiling {op.upper()}", file=sys.stderr, flush=True)
                    profiled = profile_operation(server, script, args.seconds, *extra)
                    folded = gzip.compress(profiled.pop("folded").encode(), mtime=0)
                    folded_stacks_file(op).write_bytes(folded)
                    results[op] = profiled
            finally:
                server.stop()
    finally:
        dynalite.terminate()
        dynalite.wait(10)
    results["machine_after"] = machine_state()
    PROFILE_FILE.write_text(json.dumps(results, indent=2) + "\n")
    from bench.report import profile_table

    print(profile_table(results))


if __name__ == "__main__":
    main()
