"""One region's origin: ``python -m local`` in a process of its own, as one region's ApiCluster,
pointed at that region's DynamoDB endpoint. Stopped abruptly (SIGKILL), as a region fails: what
it was answering is not answered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping

from local.embedded import ROOT, free_port
from picus.contract import HEALTH_PATH
from picus.regions import CONSISTENCY_ENV, Consistency

#: How long a starting origin may take to answer its health check.
START_TIMEOUT_S = 60.0


def origin_environment(
    base: Mapping[str, str], region: str, endpoint: str, consistency: Consistency
) -> dict[str, str]:
    """What one region's origin runs with: no AWS settings but its region's, its endpoint, and
    the consistency mode its tasks get from the stack."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_REGION=region,
        AWS_DEFAULT_REGION=region,
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env[CONSISTENCY_ENV] = consistency.value
    env.setdefault("PICUS_LOG_LEVEL", "WARNING")
    return env


class RegionOrigin:
    """A region's origin process on a port of its own, kept across restarts."""

    def __init__(self, region: str, endpoint: str, consistency: Consistency, host: str) -> None:
        self.region = region
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self._host = host
        self._env = origin_environment(os.environ, region, endpoint, consistency)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Starts the origin and returns once its health check passes."""
        command = [sys.executable, "-m", "local", "--host", self._host, "--port", str(self.port)]
        self._process = subprocess.Popen(
            [*command, "--log-format", "json"],
            cwd=ROOT,
            env=self._env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches the front, which stops this
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._healthy():
            if self._process.poll() is not None:
                raise RuntimeError(f"region {self.region}'s origin ended at start")
            if time.monotonic() > deadline:
                raise RuntimeError(f"region {self.region}'s origin did not start")
            time.sleep(0.05)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + HEALTH_PATH, timeout=2) as answer:
                return bool(answer.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None
