"""Settings, read from the environment once, each with a default (see README)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from picus import contract
from picus.auth import DEFAULT_SCOPE_CLAIM, ScopePolicy


@dataclass(frozen=True)
class Settings:
    table_name: str = contract.TABLE_NAME
    region: str = "us-east-1"
    endpoint_url: str | None = None
    host: str = "0.0.0.0"
    port: int = contract.CONTAINER_PORT
    log_level: str = "INFO"
    #: Connections kept to DynamoDB; one per request in flight is enough.
    max_pool_connections: int = 64
    connect_timeout: float = 0.5
    read_timeout: float = 1.0
    max_attempts: int = 3
    #: The most one store call may take, retries included, before the client gets a 503.
    store_deadline: float = 2.5
    keep_alive: int = contract.SERVICE_KEEP_ALIVE_SECONDS
    graceful_shutdown: int = 20
    forwarded_allow_ips: str = "127.0.0.1"
    max_body_bytes: int = contract.MAX_BODY_BYTES
    #: With auth on, the scope value of each operation (``read=...,write=...,delete=...``),
    #: checked in the token the load balancer verified; empty when the stack is public.
    auth_scopes: str = ""
    auth_scope_claim: str = DEFAULT_SCOPE_CLAIM

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        d = cls()

        def get(name: str, default: str) -> str:
            return env.get(name) or default

        return cls(
            table_name=get("PICUS_TABLE_NAME", d.table_name),
            region=env.get("AWS_REGION") or get("AWS_DEFAULT_REGION", d.region),
            endpoint_url=env.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
            host=get("PICUS_HOST", d.host),
            port=int(get("PICUS_PORT", str(d.port))),
            log_level=get("PICUS_LOG_LEVEL", d.log_level).upper(),
            max_pool_connections=int(get("PICUS_DDB_MAX_POOL", str(d.max_pool_connections))),
            connect_timeout=float(get("PICUS_DDB_CONNECT_TIMEOUT", str(d.connect_timeout))),
            read_timeout=float(get("PICUS_DDB_READ_TIMEOUT", str(d.read_timeout))),
            max_attempts=int(get("PICUS_DDB_MAX_ATTEMPTS", str(d.max_attempts))),
            store_deadline=float(get("PICUS_DDB_DEADLINE", str(d.store_deadline))),
            keep_alive=int(get("PICUS_KEEP_ALIVE", str(d.keep_alive))),
            graceful_shutdown=int(get("PICUS_GRACEFUL_SHUTDOWN", str(d.graceful_shutdown))),
            forwarded_allow_ips=get("PICUS_FORWARDED_ALLOW_IPS", d.forwarded_allow_ips),
            max_body_bytes=min(
                int(get("PICUS_MAX_BODY_BYTES", str(d.max_body_bytes))), contract.MAX_BODY_BYTES
            ),
            auth_scopes=get("PICUS_AUTH_SCOPES", d.auth_scopes),
            auth_scope_claim=get("PICUS_AUTH_SCOPE_CLAIM", d.auth_scope_claim),
        )

    @property
    def scope_policy(self) -> ScopePolicy | None:
        if not self.auth_scopes:
            return None
        return ScopePolicy.from_env(self.auth_scopes, self.auth_scope_claim)
