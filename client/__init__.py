"""A typed client of the API, blocking (PicusClient) and async (AsyncPicusClient), on httpx.

It stands beside ``deploy/``: it imports ``picus/`` (the paths, header names and error codes
the API itself uses) and nothing deployed imports it.
"""

from __future__ import annotations

from client.aio import AsyncPicusClient
from client.auth import InsecureTransport
from client.errors import (
    ApiError,
    BadRequest,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    NoSuchRoute,
    NotFound,
    PicusError,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    Unauthorized,
    UnexpectedResponse,
    Unreachable,
)
from client.models import Created, Item
from client.retry import NEVER, RetryPolicy
from client.sync import PicusClient

__all__ = [
    "NEVER",
    "ApiError",
    "AsyncPicusClient",
    "BadRequest",
    "Created",
    "IdempotencyKeyInUse",
    "IdempotencyKeyReused",
    "InsecureTransport",
    "Item",
    "NoSuchRoute",
    "NotFound",
    "PicusClient",
    "PicusError",
    "PreconditionFailed",
    "PreconditionRequired",
    "RetryPolicy",
    "ServiceUnavailable",
    "Unauthorized",
    "UnexpectedResponse",
    "Unreachable",
]
