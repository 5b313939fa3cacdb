"""Process plumbing for the tests and the benchmark: free ports, health polling, starting the
service or the local origin, TCP proxies between a client and DynamoDB, in-process ASGI
servers, and the container build. Nothing in the image or the function imports it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
