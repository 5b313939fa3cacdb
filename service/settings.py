"""The service's settings: one table (name, environment variables, type, bounds, default,
meaning), one parser that refuses a bad value naming its variable, and the README's settings
table tested against the same table. Variants are ``dataclasses.replace(settings, ...)``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from picus import contract
from picus.auth import DEFAULT_SCOPE_CLAIM, ISSUER_ENV, SCOPE_CLAIM_ENV, SCOPES_ENV, ScopePolicy
from picus.cors import CORS_ORIGINS_ENV, CorsPolicy
from picus.regions import CONSISTENCY_ENV, Consistency

LOG_LEVELS: Final = frozenset({"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"})
#: What a task takes at once before uvicorn answers 503: CONCURRENCY_HEADROOM times the most
#: connections a task sustained with p99 within the objective (python3 dev.py bench
#: --capacity; tests/bench/test_autoscaling.py derives it from the committed file). The rest is
#: room for the load balancer's idle keep-alive connections, which count too, and for the
#: benchmark's stress load (bench/load.py's connections stay below it: it measures the
#: service, not its shedding).
CONCURRENCY_HEADROOM: Final = 8
CONCURRENCY_LIMIT: Final = 128


@dataclass(frozen=True)
class Setting:
    name: str
    #: The variables it is read from; the first one set wins.
    env: tuple[str, ...]
    #: ``str`` or a subclass of it (an enumeration of its choices), ``int`` or ``float``.
    kind: type[str] | type[int] | type[float]
    default: str | int | float | None
    help: str
    low: float | None = None
    high: float | None = None
    choices: frozenset[str] | None = None
    #: How the README shows the default, where it is not the value itself.
    shown_default: str | None = None


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "table_name",
        ("PICUS_TABLE_NAME",),
        str,
        contract.TABLE_NAME,
        "the DynamoDB table (the Lambda reads it too)",
    ),
    Setting(
        "idempotency_table_name",
        ("PICUS_IDEMPOTENCY_TABLE_NAME",),
        str,
        contract.IDEMPOTENCY_TABLE_NAME,
        "the DynamoDB table that remembers each Idempotency-Key (with TTL)",
    ),
    Setting("region", ("AWS_REGION", "AWS_DEFAULT_REGION"), str, "us-east-1", "the table's region"),
    Setting(
        "endpoint_url",
        ("AWS_ENDPOINT_URL_DYNAMODB",),
        str,
        None,
        "another DynamoDB, e.g. DynamoDB Local",
        shown_default="(AWS)",
    ),
    Setting(
        "host",
        ("PICUS_HOST",),
        str,
        "0.0.0.0",
        "the address to listen on",
        shown_default="`0.0.0.0` (`127.0.0.1` for `serve`)",
    ),
    Setting(
        "port", ("PICUS_PORT",), int, contract.CONTAINER_PORT, "the port to listen on", 1, 65535
    ),
    Setting(
        "log_level",
        ("PICUS_LOG_LEVEL",),
        str,
        "INFO",
        "log level; logs are JSON lines on stdout",
        choices=LOG_LEVELS,
    ),
    Setting(
        "max_pool_connections",
        ("PICUS_DDB_MAX_POOL",),
        int,
        64,
        "connections kept to DynamoDB; one per request in flight is enough",
        1,
        1024,
    ),
    Setting(
        "connect_timeout",
        ("PICUS_DDB_CONNECT_TIMEOUT",),
        float,
        0.5,
        "seconds to connect to DynamoDB",
        0.01,
        60,
    ),
    Setting(
        "read_timeout",
        ("PICUS_DDB_READ_TIMEOUT",),
        float,
        1.0,
        "seconds to wait for DynamoDB's answer",
        0.01,
        60,
    ),
    Setting(
        "max_attempts",
        ("PICUS_DDB_MAX_ATTEMPTS",),
        int,
        3,
        "attempts per call, with botocore's standard backoff",
        1,
        10,
    ),
    Setting(
        "store_deadline",
        ("PICUS_DDB_DEADLINE",),
        float,
        2.5,
        "the most one call may take, retries included, before a 503",
        0.05,
        120,
    ),
    Setting(
        "keep_alive",
        ("PICUS_KEEP_ALIVE",),
        int,
        contract.SERVICE_KEEP_ALIVE_SECONDS,
        "idle keep-alive; above the ALB's 60 s idle timeout",
        contract.ALB_IDLE_TIMEOUT_SECONDS + 1,
        4000,
    ),
    Setting(
        "header_timeout",
        ("PICUS_HEADER_TIMEOUT",),
        float,
        10.0,
        "seconds a request's headers may take from its first byte, else a 408 and the "
        "connection closed; below the ALB's 60 s idle timeout",
        0.1,
        contract.ALB_IDLE_TIMEOUT_SECONDS - 1,
    ),
    Setting(
        "body_timeout",
        ("PICUS_BODY_TIMEOUT",),
        float,
        30.0,
        "seconds a request's body may take after its headers, else a 408 and the connection "
        "closed; below the ALB's 60 s idle timeout",
        0.1,
        contract.ALB_IDLE_TIMEOUT_SECONDS - 1,
    ),
    Setting(
        "limit_concurrency",
        ("PICUS_LIMIT_CONCURRENCY",),
        int,
        CONCURRENCY_LIMIT,
        "open connections and requests a task takes before it answers 503 at once: "
        f"{CONCURRENCY_HEADROOM} times the most connections a task sustained within the p99 "
        "objective (bench/results/capacity.json)",
        1,
        10_000,
    ),
    Setting(
        "graceful_shutdown",
        ("PICUS_GRACEFUL_SHUTDOWN",),
        int,
        20,
        "seconds to finish in-flight requests after SIGTERM",
        0,
        115,
    ),
    Setting(
        "forwarded_allow_ips",
        ("PICUS_FORWARDED_ALLOW_IPS",),
        str,
        "127.0.0.1",
        "who may set `X-Forwarded-*` (the VPC's CIDR on ECS)",
    ),
    Setting(
        "max_body_bytes",
        ("PICUS_MAX_BODY_BYTES",),
        int,
        contract.MAX_BODY_BYTES,
        "body limit of `put`; can be lowered, not raised",
        1,
        contract.MAX_BODY_BYTES,
    ),
    Setting(
        "auth_scopes",
        (SCOPES_ENV,),
        str,
        "",
        "with auth on, each operation's scope: `read=picus:read,write=picus:write,"
        "delete=picus:delete` (the stack sets it; the function reads it too)",
        shown_default="(empty: public)",
    ),
    Setting(
        "auth_scope_claim",
        (SCOPE_CLAIM_ENV,),
        str,
        DEFAULT_SCOPE_CLAIM,
        "the token claim that holds the scopes",
    ),
    Setting(
        "auth_issuer",
        (ISSUER_ENV,),
        str,
        "",
        "with auth on, the token issuer, named in `/openapi.json` as its OpenID Connect "
        "security scheme (the stack sets it)",
        shown_default="(empty)",
    ),
    Setting(
        "cors_origins",
        (CORS_ORIGINS_ENV,),
        str,
        "",
        "browser origins whose pages may call the API (CORS): exact origins, comma-separated, "
        "like `https://app.example.com` (the stack sets it from `corsOrigins`; the function "
        "reads it too)",
        shown_default="(empty: none)",
    ),
    Setting(
        "consistency",
        (CONSISTENCY_ENV,),
        Consistency,
        Consistency.EVENTUAL,
        "the global tables' consistency mode, `eventual` or `strong` (a single-Region table is "
        "`eventual`); under `strong` a put with an Idempotency-Key is written without a "
        "transaction, which DynamoDB refuses there (docs/guarantees.md)",
        choices=frozenset(Consistency),
    ),
)
_BY_NAME: Final = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A variable holds a value the service cannot run with; the message names each."""


def _default(name: str) -> Any:
    return field(default=_BY_NAME[name].default)


@dataclass(frozen=True)
class Settings:
    table_name: str = _default("table_name")
    idempotency_table_name: str = _default("idempotency_table_name")
    region: str = _default("region")
    endpoint_url: str | None = _default("endpoint_url")
    host: str = _default("host")
    port: int = _default("port")
    log_level: str = _default("log_level")
    max_pool_connections: int = _default("max_pool_connections")
    connect_timeout: float = _default("connect_timeout")
    read_timeout: float = _default("read_timeout")
    max_attempts: int = _default("max_attempts")
    store_deadline: float = _default("store_deadline")
    keep_alive: int = _default("keep_alive")
    header_timeout: float = _default("header_timeout")
    body_timeout: float = _default("body_timeout")
    limit_concurrency: int = _default("limit_concurrency")
    graceful_shutdown: int = _default("graceful_shutdown")
    forwarded_allow_ips: str = _default("forwarded_allow_ips")
    max_body_bytes: int = _default("max_body_bytes")
    auth_scopes: str = _default("auth_scopes")
    auth_scope_claim: str = _default("auth_scope_claim")
    auth_issuer: str = _default("auth_issuer")
    cors_origins: str = _default("cors_origins")
    consistency: Consistency = _default("consistency")  # noqa: RUF009 - an enum member: immutable

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        values: dict[str, Any] = {}
        problems: list[str] = []
        for setting in SETTINGS:
            variable, raw = next(((v, env[v]) for v in setting.env if env.get(v)), ("", None))
            if raw is None:
                continue
            try:
                values[setting.name] = _parse(setting, raw)
            except ValueError as error:
                problems.append(f"{variable}={raw!r}: {error}")
        if problems:
            raise SettingsError("; ".join(problems))
        settings = cls(**values)
        try:
            settings.scope_policy  # noqa: B018 - parsed now, so a bad value fails at start
        except ValueError as error:
            raise SettingsError(f"{SCOPES_ENV}: {error}") from None
        try:
            settings.cors_policy  # noqa: B018 - likewise
        except ValueError as error:
            raise SettingsError(f"{CORS_ORIGINS_ENV}: {error}") from None
        return settings

    @property
    def scope_policy(self) -> ScopePolicy | None:
        if not self.auth_scopes:
            return None
        return ScopePolicy.from_env(self.auth_scopes, self.auth_scope_claim)

    @property
    def cors_policy(self) -> CorsPolicy | None:
        return CorsPolicy.parse(self.cors_origins)


def _parse(setting: Setting, raw: str) -> str | int | float:
    if issubclass(setting.kind, str):
        if setting.choices is None:
            return setting.kind(raw)
        # A choice in any case: `debug` is DEBUG, `Strong` is strong.
        value = next((c for c in setting.choices if c.casefold() == raw.casefold()), None)
        if value is None:
            raise ValueError(f"must be one of {', '.join(sorted(setting.choices))}")
        return setting.kind(value)
    try:
        number = setting.kind(raw)
    except ValueError:
        raise ValueError(f"is not {'an integer' if setting.kind is int else 'a number'}") from None
    assert isinstance(number, int | float)
    if (setting.low is not None and number < setting.low) or (
        setting.high is not None and number > setting.high
    ):
        raise ValueError(f"must be {setting.low:g}..{setting.high:g}")
    return number
