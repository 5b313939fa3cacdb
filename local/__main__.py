"""``python -m local``: the whole API on one local origin, http://127.0.0.1:8000 by default.

It starts an embedded DynamoDB, or with ``AWS_ENDPOINT_URL_DYNAMODB`` set uses that one (and
creates the tables if they are missing: the items' and the Idempotency-Key records'). AWS is used
only when asked by name, ``--aws-table NAME``: an existing table and its idempotency table (named
after it as a stack names it, or ``--aws-idempotency-table``), in the region and account of the
usual AWS settings; AWS credentials in the environment alone change nothing. Ctrl-C stops
everything.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import uvicorn

from components.naming import idempotency_table_name
from picus import contract
from picus.auth import ScopePolicy
from picus.cors import cors_environment, origin_problem
from service.__main__ import exit_cleanly_on_sigterm, uvicorn_config
from service.logs import configure_logging
from service.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from local.auth import LocalIssuer

log = logging.getLogger("picus.local")

# Credentials for a local DynamoDB, which checks their form but not their truth.
_LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class AwsTableError(Exception):
    """Why ``serve`` will not use AWS; the message is the user's whole answer."""


@dataclass(frozen=True)
class AwsTable:
    """An existing table in AWS, its idempotency table, and whose they are."""

    name: str
    idempotency_table: str
    region: str
    account: str


#: Host suffixes of AWS's own endpoints (regional, FIPS, VPC endpoints, China, dual-stack).
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


def aws_table(
    name: str | None, settings: Settings, idempotency_table: str | None = None
) -> AwsTable | None:
    """The AWS table ``--aws-table`` names and its idempotency table (``idempotency_table``, or
    the one a stack creates beside it), each checked to exist and to have the API's key (never
    created), with the region and account of the usual AWS settings; None without the flag,
    which never contacts AWS."""
    if name is None:
        # The local path creates the table where AWS_ENDPOINT_URL_DYNAMODB points: never in AWS.
        host = urlsplit(settings.endpoint_url or "").hostname or ""
        if host.endswith(_AWS_HOSTS):
            raise AwsTableError(
                f"AWS_ENDPOINT_URL_DYNAMODB is AWS's own ({settings.endpoint_url}): "
                "name an existing table with --aws-table to use AWS"
            )
        return None
    # botocore alone: the service imports it anyway, boto3 would be start-up time for nothing.
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.session import get_session

    session = get_session()
    try:
        # The order Settings reads them in, then the profile's (botocore knows no AWS_REGION).
        region = os.environ.get("AWS_REGION") or session.get_config_variable("region")
        if not region:
            raise AwsTableError("no AWS region: set AWS_REGION, or a region in the AWS profile")
        if session.get_credentials() is None:
            raise AwsTableError(
                "no AWS credentials: configure a profile (AWS_PROFILE, `aws sso login`) "
                "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        config = Config(connect_timeout=5, read_timeout=10, retries={"total_max_attempts": 2})
        # No STS stubs in the lock: the one call's answer is read as the documented dict.
        sts: Any = session.create_client("sts", region, config=config)
        account: str = sts.get_caller_identity()["Account"]
        ddb = cast("DynamoDBClient", session.create_client("dynamodb", region, config=config))
        records = idempotency_table or idempotency_table_name(name)
        for table, key, missing in (
            (name, contract.PARTITION_KEY, "name an existing table"),
            (
                records,
                contract.IDEMPOTENCY_PARTITION_KEY,
                "name the stack's idempotencyTableName with --aws-idempotency-table",
            ),
        ):
            try:
                keys = ddb.describe_table(TableName=table)["Table"].get("KeySchema")
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                raise AwsTableError(
                    f"no table {table} in {region}, account {account} (serve never creates "
                    f"one in AWS: deploy a stack, or {missing})"
                ) from None
            if keys != [{"AttributeName": key, "KeyType": "HASH"}]:
                raise AwsTableError(f"table {table} is not the API's: its key is not {key}")
    except (BotoCoreError, ClientError) as exc:
        raise AwsTableError(f"AWS refused or did not answer: {exc}") from None
    return AwsTable(name, records, region, account)


@dataclass(frozen=True)
class Backend:
    description: str
    #: Where DynamoDB answers, None for the endpoint botocore resolves (AWS's own).
    endpoint_url: str | None
    table_name: str
    idempotency_table_name: str
    region: str
    #: Waits until the backend serves the tables; False if it never will.
    until_ready: Callable[[], Awaitable[bool]] | None = None
    #: The AWS account, for a table in AWS.
    account: str | None = None


@contextlib.contextmanager
def dynamodb_backend(settings: Settings, aws: AwsTable | None = None) -> Iterator[Backend]:
    """The DynamoDB to use, with the table: ``aws``'s if given, else a local one. The process's
    environment gets the table, the region and, for a local one, credentials of the form it
    checks (the function reads its environment, as on Lambda)."""
    from local.embedded import EmbeddedDynamoDB, ensure_tables

    if aws is not None:
        os.environ.update(PICUS_TABLE_NAME=aws.name, AWS_DEFAULT_REGION=aws.region)
        # AWS_ENDPOINT_URL_DYNAMODB, if set, is where "AWS" answers (botocore resolves it).
        where = f" at {settings.endpoint_url}" if settings.endpoint_url else ""
        yield Backend(
            f"AWS table {aws.name} (idempotency keys in {aws.idempotency_table}) in "
            f"{aws.region}, account {aws.account}{where}: real data",
            settings.endpoint_url,
            aws.name,
            aws.idempotency_table,
            aws.region,
            account=aws.account,
        )
        return
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.region)
    if settings.endpoint_url:
        for name, value in _LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        ensure_tables(
            settings.table_name,
            settings.idempotency_table_name,
            region=settings.region,
            endpoint_url=settings.endpoint_url,
        )
        yield Backend(
            f"DynamoDB at {settings.endpoint_url}, table {settings.table_name} (idempotency "
            f"keys in {settings.idempotency_table_name})",
            settings.endpoint_url,
            settings.table_name,
            settings.idempotency_table_name,
            settings.region,
        )
    else:
        # The API answers while the embedded DynamoDB boots on the other core and creates
        # the table; the router holds data requests until it serves.
        os.environ.update(_LOCAL_CREDENTIALS)
        embedded = EmbeddedDynamoDB(
            table=(settings.table_name, settings.region),
            idempotency_table=settings.idempotency_table_name,
        )
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = embedded.url

        try:
            yield Backend(
                f"embedded DynamoDB at {embedded.url}, in memory: gone when this stops",
                embedded.url,
                settings.table_name,
                settings.idempotency_table_name,
                settings.region,
                embedded.until_ready,
            )
        finally:
            embedded.stop()


def _delete_handler(event: dict[str, Any], context: Any) -> Any:
    # Imported at the first DELETE, as Lambda does on a cold start: off the way to the first
    # answer, and after the environment the function reads at import is set up.
    from delete_fn.handler import handler

    return handler(event, context)


class _Server(uvicorn.Server):
    """Prints the banner once the socket listens, not before."""

    banner = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.banner:
            print(self.banner, flush=True)


def _banner(base: str, backend: str, colour: bool, auth: bool = False) -> str:
    bold = (lambda text: f"\033[1m{text}\033[0m") if colour else (lambda text: text)
    lines = [
        f"{bold('picus')} API  {bold(base)}",
        f"docs       {base}/docs",
        f"data       {backend}",
    ]
    if auth:
        lines.append("auth       tokens: python3 dev.py token --scope picus:read,picus:write")
    return "\n".join([*lines, "Ctrl-C stops.", ""])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(arg == "--regions" or arg.startswith("--regions=") for arg in argv):
        from local.serve_regions import main as serve_regions

        serve_regions(argv)
        return
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("PICUS_HOST", "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PICUS_PORT", contract.CONTAINER_PORT))
    )
    terminal = sys.stdout.isatty()
    parser.add_argument(
        "--log-format",
        choices=["json", "text"],
        default="text" if terminal else "json",
        help="text: a banner and short access lines (the default on a terminal); "
        "json: one JSON object per line, as the container writes (the default otherwise)",
    )
    parser.add_argument(
        "--auth",
        action="store_true",
        help="verify bearer tokens as the load balancer does, from a local issuer whose "
        "tokens `python3 dev.py token --scope ...` prints",
    )
    parser.add_argument(
        "--aws-table",
        metavar="NAME",
        help="serve this existing table in AWS (real data), in the region and account of the "
        "usual AWS settings; without it AWS is never contacted, whatever credentials are set",
    )
    parser.add_argument(
        "--aws-idempotency-table",
        metavar="NAME",
        help="with --aws-table: the existing table of its Idempotency-Key records (the stack's "
        "idempotencyTableName); by default the one a stack creates beside --aws-table "
        "(picus_data-dev: picus_idempotency-dev)",
    )
    parser.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="URL",
        help="let pages of this origin (such as http://localhost:5173) call the API from a "
        "browser, as a stack's corsOrigins does; repeatable; without it no page may",
    )
    parser.add_argument(
        "--regions",
        metavar="A,B[,C]",
        help="several local regions behind a health-checked front, with replication between "
        "their tables: `python3 dev.py serve --regions eu-west-1,eu-west-2 --help` for more",
    )
    args = parser.parse_args(argv)
    if problems := [p for p in map(origin_problem, args.cors_origin) if p is not None]:
        sys.exit(f"serve: --cors-origin {'; '.join(problems)}")
    # Both runtimes read the origins from their environment, as the stack hands them over.
    os.environ.update(cors_environment(args.cors_origin))
    text = args.log_format == "text"
    base = f"http://{args.host}:{args.port}"
    issuer: LocalIssuer | None = None
    if args.auth:
        # Only with --auth: the JWT library costs a plain `serve` about 170 ms of start-up.
        from local.auth import LocalIssuer, TokenVerifier

        issuer = LocalIssuer.create(base)
    policy = ScopePolicy() if issuer is not None else None
    if policy is not None:
        # The function checks the route's scope too (picus/auth.py), as its stack sets it.
        os.environ.update(policy.to_environment())

    settings = Settings.from_env()
    try:
        if args.aws_idempotency_table is not None and args.aws_table is None:
            raise AwsTableError("--aws-idempotency-table goes with --aws-table")
        aws = aws_table(args.aws_table, settings, args.aws_idempotency_table)
    except AwsTableError as exc:
        sys.exit(f"serve: {exc}")
    configure_logging(
        settings.log_level, text=text, colour=text and terminal and "NO_COLOR" not in os.environ
    )
    if text:
        # The banner says what uvicorn's start-up lines would.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    exit_cleanly_on_sigterm()
    with dynamodb_backend(settings, aws) as backend:
        # The service's settings, once: where the table is, and the scopes with auth on.
        settings = replace(
            settings,
            endpoint_url=backend.endpoint_url,
            table_name=backend.table_name,
            idempotency_table_name=backend.idempotency_table_name,
            region=backend.region,
            auth_scopes=policy.to_env() if policy is not None else settings.auth_scopes,
            auth_issuer=issuer.issuer if issuer is not None else settings.auth_issuer,
        )
        from local.router import LocalAlb
        from service.app import create_app

        verifier = (
            TokenVerifier(issuer=issuer.issuer, jwks=lambda: LocalIssuer.load().jwks())
            if issuer is not None
            else None
        )
        app = LocalAlb(
            create_app(settings),
            _delete_handler,
            verifier=verifier,
            jwks=issuer.jwks if issuer is not None else None,
            issuer=issuer.issuer if issuer is not None else None,
            until_ready=backend.until_ready,
            cors=bool(settings.cors_origins),
        )
        config = uvicorn_config(settings)
        config.app = app
        config.factory = False
        config.host, config.port = args.host, args.port
        server = _Server(config)
        if text:
            server.banner = _banner(base, backend.description, colour=terminal, auth=args.auth)
        else:
            where = {
                "table": backend.table_name,
                "idempotency_table": backend.idempotency_table_name,
                "region": backend.region,
            }
            if backend.account is not None:
                where["account"] = backend.account
            log.info("serving on %s with %s", base, backend.description, extra=where)
        # uvicorn drains in-flight requests, then re-raises Ctrl-C: that is a clean stop.
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    log.info("stopped")


if __name__ == "__main__":
    main()
