#!/usr/bin/env python3
"""The project's two entry points, each installing what it needs on first use.

    python3 dev.py serve [--port 8000]   the whole API on http://127.0.0.1:8000
    python3 dev.py serve --auth          ... verifying tokens as the load balancer does
    python3 dev.py serve --aws-table T   ... on T, an existing table in AWS (real data)
    python3 dev.py serve --cors-origin URL   ... letting pages of URL call it (CORS; repeatable)
    python3 dev.py serve --regions A,B   ... in several regions behind a health-checked front
    python3 dev.py token --scope S,S     a token for `serve --auth`
    python3 dev.py test [pytest args]    lint and types, then the suite on moto and DynamoDB Local
    python3 dev.py bench [--quick]       the benchmark against the common designs (bench/)
    python3 dev.py bench --capacity      one task's capacity in each stack's limits (Docker)
    python3 dev.py deploy --stack NAME [--image URI]   release the stack to AWS (deploy/pipeline.py)
    python3 dev.py destroy --stack NAME  tear the stack down, and all it left (deploy/teardown.py)
    python3 dev.py docs [--port 8001]    the documentation site (docs/), rebuilt on every save
    python3 dev.py cost --stack S --rate R   a stack's monthly cost at R requests/s (--help)

Python dependencies go into ``.venv`` from the hashed lock files in ``lock/``; the test
servers (DynamoDB Local, dynalite) into ``node_modules`` from ``package-lock.json``.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
UV_VERSION = "0.13.9"
#: Marks an install whose bytecode is compiled (older installs are compiled once more).
COMPILED = ":bytecode"
#: The pytest run per DynamoDB backend: moto runs everything, DynamoDB Local what touches a table.
BACKENDS: tuple[tuple[str, list[str]], ...] = (
    ("moto", []),
    ("dynamodb-local", ["-m", "ddb and not soak"]),
)


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def _run(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def ensure_python(lock_name: str) -> None:
    lock = ROOT / "lock" / f"{lock_name}.txt"
    stamp = VENV / f".installed-{lock_name}"
    digest = _digest(lock)
    if stamp.exists() and stamp.read_text() == digest + COMPILED:
        return
    if not PYTHON.exists():
        print(f"creating {VENV.name}/", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    uv = VENV / "bin" / "uv"
    if not uv.exists():
        _run(
            PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check", f"uv=={UV_VERSION}"
        )
    print(f"installing lock/{lock.name}", file=sys.stderr)
    _run(uv, "pip", "install", "-q", "--python", PYTHON, "-r", lock)
    # Bytecode now, as pip would write it: uv does not, and without it (or with
    # PYTHONDONTWRITEBYTECODE set) every start compiles its imports again, which triples
    # the local start and a benchmark server's start-up.
    compile_site = (
        "import compileall, sys, sysconfig; "
        "sys.exit(not compileall.compile_dir(sysconfig.get_path('purelib'), quiet=1, workers=0))"
    )
    _run(PYTHON, "-c", compile_site)
    stamp.write_text(digest + COMPILED)


def ensure_node() -> None:
    stamp = ROOT / "node_modules" / ".installed"
    digest = _digest(ROOT / "package.json", ROOT / "package-lock.json")
    if stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed for the test servers and the OpenAPI linters (package.json)")
    print("installing node_modules/ (DynamoDB Local, dynalite, Spectral, Redocly)", file=sys.stderr)
    _run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
    stamp.write_text(digest)


def _run_module(lock_name: str, module: str, args: list[str]) -> None:
    """Replaces this process with ``python -m module args`` in .venv, once ``lock_name`` is in."""
    ensure_python(lock_name)
    os.chdir(ROOT)
    os.execv(PYTHON, [str(PYTHON), "-m", module, *args])


def serve(args: list[str]) -> None:
    _run_module("local", "local", args)


def token(args: list[str]) -> None:
    _run_module("local", "local.token", args)


#: The house rules the tools check, before any test runs: lint, format, types (strict).
LINTS: tuple[tuple[str, ...], ...] = (
    ("ruff", "check", "."),
    ("ruff", "format", "--check", "."),
    ("mypy", "."),
)


def test(args: list[str]) -> None:
    ensure_python("dev")
    ensure_node()
    for lint in LINTS:
        print(f"=== {' '.join(lint)} ===", flush=True)
        if subprocess.run([str(PYTHON), "-m", *lint], cwd=ROOT).returncode != 0:
            sys.exit(f"{lint[0]} found problems: fix them before the tests run")
    failed = []
    for backend, selection in BACKENDS:
        print(f"\n=== tests on {backend} ===", flush=True)
        env = {**os.environ, "PICUS_TEST_DDB": backend}
        code = subprocess.run([str(PYTHON), "-m", "pytest", *selection, *args], cwd=ROOT, env=env)
        # 5: the arguments selected nothing this backend runs (no table test among them).
        if code.returncode not in (0, 5):
            failed.append(backend)
    if failed:
        sys.exit(f"tests failed on: {', '.join(failed)}")


def bench(args: list[str]) -> None:
    ensure_python("dev")
    ensure_node()
    if shutil.which("wrk") is None:
        if os.geteuid() != 0:
            sys.exit("the benchmark needs wrk: apt-get install wrk")
        _run("apt-get", "install", "-y", "-qq", "wrk")
    _run_module("dev", "bench.run", args)


def deploy(args: list[str]) -> None:
    # What the Pulumi program and the release scripts import, not the test suite (lock/deploy.in).
    _run_module("deploy", "deploy.pipeline", args)


def destroy(args: list[str]) -> None:
    _run_module("deploy", "deploy.teardown", args)


def docs(args: list[str]) -> None:
    if args and (len(args) != 2 or args[0] != "--port" or not args[1].isdigit()):
        sys.exit("usage: python3 dev.py docs [--port N]")
    port = args[1] if args else "8001"
    _run_module("docs", "mkdocs", ["serve", "--dev-addr", f"127.0.0.1:{port}"])


def cost(args: list[str]) -> None:
    # The estimate reads only committed files: the docs' lock has what it imports (PyYAML).
    _run_module("docs", "bench.cost_command", args)


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is checked
        sys.exit("Python 3.11 or newer is needed")
    commands = {
        "serve": serve,
        "token": token,
        "test": test,
        "bench": bench,
        "deploy": deploy,
        "destroy": destroy,
        "docs": docs,
        "cost": cost,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
