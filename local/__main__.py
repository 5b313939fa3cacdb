"""``python -m local``: the whole API on one local origin, http://127.0.0.1:8000 by default.

With ``AWS_ENDPOINT_URL_DYNAMODB`` set it uses that DynamoDB (and creates the table if it is
missing); with AWS credentials configured it uses the real table; otherwise it starts an
embedded DynamoDB. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator

import uvicorn

from picus import contract
from service.__main__ import exit_cleanly_on_sigterm, uvicorn_config
from service.logs import configure_logging
from service.settings import Settings

log = logging.getLogger("picus.local")

# Credentials for a local DynamoDB, which checks their form but not their truth.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


def _has_aws_credentials() -> bool:
    import boto3

    # Never wait on the instance metadata service of a laptop that has none.
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    return boto3.Session().get_credentials() is not None


@contextlib.contextmanager
def dynamodb_backend(settings: Settings) -> Iterator[str]:
    """Points this process's AWS clients at the DynamoDB to use; yields a description."""
    from local.embedded import EmbeddedDynamoDB, ensure_table

    os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
    if settings.endpoint_url:
        for name, value in _LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        ensure_table(
            settings.table_name, region=settings.region, endpoint_url=settings.endpoint_url
        )
        yield f"DynamoDB at {settings.endpoint_url}"
    elif _has_aws_credentials():
        yield f"AWS DynamoDB in {settings.region}"
    else:
        embedded = EmbeddedDynamoDB()
        try:
            # The API's heaviest import runs while the embedded server boots on the other core.
            import service.app  # noqa: F401

            endpoint = embedded.endpoint()
            os.environ.update(_LOCAL_CREDENTIALS)
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            ensure_table(settings.table_name, region=settings.region, endpoint_url=endpoint)
            yield f"embedded DynamoDB at {endpoint}"
        finally:
            embedded.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("PICUS_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PICUS_PORT", contract.CONTAINER_PORT))
    )
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    exit_cleanly_on_sigterm()
    with dynamodb_backend(settings) as backend:
        # Imported only now: both read their settings from the environment set up above.
        from delete_fn.handler import handler
        from local.router import LocalAlb
        from service.app import create_app

        app = LocalAlb(create_app(Settings.from_env()), handler)
        config = uvicorn_config(Settings.from_env())
        config.app = app
        config.factory = False
        config.host, config.port = args.host, args.port
        log.info("serving on http://%s:%d with %s", args.host, args.port, backend)
        # uvicorn drains in-flight requests, then re-raises Ctrl-C: that is a clean stop.
        with contextlib.suppress(KeyboardInterrupt):
            uvicorn.Server(config).run()
    log.info("stopped")


if __name__ == "__main__":
    main()
