"""The service image as CI and AWS get it: the real Dockerfile, built by Docker's engine.

Docker Hub may be out of reach (it is on the project's build machines), so the base image is
made here by default: Debian's own Python from ``debootstrap``, imported into Docker and passed
through the Dockerfile's ``PYTHON_IMAGE`` argument. ``PICUS_TEST_PYTHON_IMAGE=dockerfile`` keeps
the Dockerfile's pinned base instead (CI on GitHub), any other value names a base to use.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from devkit import ROOT

#: Debian's Python 3.11, which lock/service.txt supports, with what the Dockerfile runs.
BASE_SUITE = "bookworm"
BASE_MIRROR = os.environ.get("PICUS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BASE_PACKAGES = ("python3", "python3-venv", "python-is-python3", "ca-certificates")
#: Trimmed from the base: documentation and package caches no container reads.
BASE_TRIM = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man")
#: A CA bundle the build's pip trusts besides the image's own (a TLS-inspecting proxy's).
CA_BUNDLE = Path(os.environ.get("PICUS_BUILD_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt"))
IMAGE = "picus-test/service"


class DockerUnavailable(Exception):
    """Why the container tests cannot run on this machine."""


def docker_client() -> str:
    """A client that builds with BuildKit. Debian's docker.io client does; a newer client
    without the buildx plugin, which may stand earlier on PATH, does not."""
    for candidate in (os.environ.get("PICUS_DOCKER"), "/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise DockerUnavailable("no docker client (install Debian's docker.io)")


def run_docker(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [docker_client(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
    )


def docker(*args: str, timeout: float = 600) -> str:
    """What a docker command prints; a failure raises with its output."""
    result = run_docker(*args, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def engine_answers() -> None:
    result = run_docker("version", "--format", "{{.Server.Version}}", timeout=30)
    if result.returncode != 0:
        raise DockerUnavailable(f"Docker's engine does not answer: {result.stderr.strip()}")


def base_image() -> str | None:
    """The base to build on: None for the Dockerfile's own, else a local image tag."""
    chosen = os.environ.get("PICUS_TEST_PYTHON_IMAGE")
    if chosen == "dockerfile":
        return None
    if chosen:
        return chosen
    recipe = json.dumps([BASE_SUITE, BASE_MIRROR, BASE_PACKAGES, BASE_TRIM]).encode()
    tag = f"picus-test/python-base:{hashlib.sha256(recipe).hexdigest()[:12]}"
    if _exists(tag):
        return tag
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise DockerUnavailable("making the base image needs root and debootstrap")
    with tempfile.TemporaryDirectory(prefix="picus-base-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                BASE_SUITE,
                str(rootfs),
                BASE_MIRROR,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        for path in BASE_TRIM:
            shutil.rmtree(rootfs / path, ignore_errors=True)
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
            subprocess.run(
                [docker_client(), "import", "-", tag],
                stdin=tar.stdout,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return tag


def _exists(image: str) -> bool:
    return run_docker("image", "inspect", image, timeout=60).returncode == 0


def dockerfile_base() -> str:
    """The Dockerfile's pinned base: the image of its ``python-base`` stage."""
    text = (ROOT / "Dockerfile").read_text()
    (line,) = [line for line in text.splitlines() if line.endswith(" AS python-base")]
    return line.split()[1]


def build_service_image(base: str | None) -> str:
    """Builds the Dockerfile from the repository, as CI does; returns the image's id."""
    args = ["build", "--quiet", "--tag", f"{IMAGE}:test"]
    if base is not None:
        args += ["--build-arg", f"PYTHON_IMAGE={base}"]
    if CA_BUNDLE.is_file():
        args += ["--secret", f"id=ca-bundle,src={CA_BUNDLE}"]
    docker(*args, str(ROOT), timeout=1200)
    return docker("image", "inspect", "--format", "{{.Id}}", f"{IMAGE}:test")


def inspect(image_or_container: str) -> dict[str, Any]:
    (info,) = json.loads(docker("inspect", image_or_container))
    return dict(info)
