"""Runs ``plugin/`` as the Pulumi engine runs a Python plugin, and talks to it over gRPC.

pulumi-language-python's ``RunPlugin`` (sdk/python/cmd/pulumi-language-python/main.go) starts
``<venv>/bin/python <plugin folder> <args...>`` with the consumer's project folder as the working
directory, where the engine's args are its logging flags, if any, then its own address
(sdk/go/common/resource/plugin/plugin.go, ``buildPluginArguments``; provider_plugin.go passes
``host.ServerAddr()``). The provider prints the port it serves on, a line on stdout.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import grpc  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc

from devkit import ROOT

PLUGIN = ROOT / "plugin"
#: How long the provider may take to print its port (it imports pulumi-aws and the components).
START_TIMEOUT = 60.0


@dataclass
class Provider:
    stub: Any
    process: subprocess.Popen[bytes]
    stderr_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


@contextmanager
def running(
    engine_address: str, cwd: Path, plugin: Path = PLUGIN, python: str = sys.executable
) -> Iterator[Provider]:
    """The plugin, run by ``python`` (the plugin's virtualenv's) from ``cwd`` (the consumer's
    project), connected to; always reaped."""
    # Nothing of the test run's own import path: the plugin must find the repository itself.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    stderr_path = cwd / "provider.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [python, str(plugin), engine_address],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    assert process.stdout is not None
    # Stdout is drained all along: a provider that prints more must not block on a full pipe.
    lines: queue.Queue[bytes] = queue.Queue()
    drain = threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True)
    drain.start()
    try:
        port = _port(lines, process, stderr_path)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT)
            yield Provider(provider_pb2_grpc.ResourceProviderStub(channel), process, stderr_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        drain.join(timeout=10)
        process.stdout.close()


def _drain(stdout: IO[bytes], lines: queue.Queue[bytes]) -> None:
    for line in iter(stdout.readline, b""):
        lines.put(line)
    lines.put(b"")


def _port(lines: queue.Queue[bytes], process: subprocess.Popen[bytes], stderr: Path) -> int:
    """The port the provider prints first."""
    try:
        first = lines.get(timeout=START_TIMEOUT)
    except queue.Empty:
        raise AssertionError(
            f"the provider printed no port in {START_TIMEOUT:.0f} s:\n{stderr.read_text()}"
        ) from None
    text = first.decode().strip()
    if not text.isdigit():
        raise AssertionError(
            f"the provider printed {text!r}, not a port (exit {process.poll()}):\n"
            + stderr.read_text(errors="replace")
        )
    return int(text)
