"""The engine's end of a provider's gRPC conversation, served from the test process.

A provider dials two services: the Engine, given on its command line (it logs there, and asks it
for the root resource), and the ResourceMonitor that each ``Construct`` names, where the component
registers its children. The monitor here answers as the components' mocks do
(``tests.components.harness``), so a Construct's resources can be compared with the Python
program's, one for one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from tests.components import harness
from tests.components.harness import PROJECT, Mocks, RecordingMonitor


class Engine(engine_pb2_grpc.EngineServicer):
    """Keeps what the provider logs. There is no root resource: a Construct names its parent."""

    def __init__(self) -> None:
        self.logs: list[str] = []

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        self.logs.append(f"{engine_pb2.LogSeverity.Name(request.severity)}: {request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()


class _Recorder(RecordingMonitor):
    """The mocks' monitor, naming URNs after a stack of its own: the test process has no Pulumi
    runtime settings for ``get_stack()`` to read, and must not get any."""

    def __init__(self, stack: str) -> None:
        super().__init__(Mocks())
        self.stack = stack

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = f"{parent.split('::')[2].split('$')[-1]}${type_}"
        return f"urn:pulumi:{self.stack}::{PROJECT}::{type_}::{name}"


class Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """A ResourceMonitor over gRPC that registers as ``harness.RecordingMonitor`` does."""

    def __init__(self, stack: str) -> None:
        self.recorder = _Recorder(stack)
        # gRPC answers from a pool of threads, while the mocks keep plain dicts and run coroutines
        # on their thread's event loop: all of them run on one thread, with a loop closed after.
        self._loop = asyncio.new_event_loop()
        self._thread = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor")
        self._thread.submit(asyncio.set_event_loop, self._loop).result()

    def _delegate(self, method: str, request: Any) -> Any:
        return self._thread.submit(getattr(self.recorder, method), request).result()

    def close(self) -> None:
        self._thread.submit(asyncio.set_event_loop, None).result()
        self._thread.shutdown()
        self._loop.close()

    def RegisterResource(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterResource", request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterResourceOutputs", request)

    def ReadResource(self, request: Any, context: Any) -> Any:
        return self._delegate("ReadResource", request)

    def Invoke(self, request: Any, context: Any) -> Any:
        return self._delegate("Invoke", request)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return self._delegate("GetDeploymentInfo", request)

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        # The mocks answer with a stand-in object, not the message gRPC has to send.
        answer = self._delegate("SupportsFeature", request)
        return resource_pb2.SupportsFeatureResponse(hasSupport=answer.hasSupport)

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterPackage", request)

    def RegisterStackTransform(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterStackTransform", request)

    def RegisterStackInvokeTransform(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterStackInvokeTransform", request)

    def RegisterResourceHook(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterResourceHook", request)

    def RegisterErrorHook(self, request: Any, context: Any) -> Any:
        return self._delegate("RegisterErrorHook", request)

    def resources(self) -> list[dict[str, Any]]:
        """Every resource registered, in the shape ``tests.components.harness`` prints."""
        found = [
            {
                "urn": urn,
                "id": registered.id,
                "state": registered.state,
                **self.recorder.registrations[urn],
            }
            for urn, registered in self.recorder.resources.items()
        ]
        # Through JSON as the harness's output goes, so both sides compare alike.
        printed: list[dict[str, Any]] = json.loads(json.dumps(found, default=harness._serialize))
        return printed


@contextmanager
def serving(add: Callable[[Any], None]) -> Iterator[str]:
    """A gRPC server on a free local port, with the services ``add`` puts on it; its address."""
    with futures.ThreadPoolExecutor(max_workers=8) as pool:
        server = grpc.server(pool)
        add(server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        try:
            yield f"127.0.0.1:{port}"
        finally:
            server.stop(grace=None).wait(10)


@contextmanager
def engine_service(engine: Engine) -> Iterator[str]:
    with serving(lambda server: engine_pb2_grpc.add_EngineServicer_to_server(engine, server)) as at:
        yield at


@contextmanager
def monitor_service(monitor: Monitor) -> Iterator[str]:
    """The monitor served until the block ends; then closed (its records stay readable)."""
    try:
        with serving(
            lambda server: resource_pb2_grpc.add_ResourceMonitorServicer_to_server(monitor, server)
        ) as at:
            yield at
    finally:
        monitor.close()
