"""botocore's answers as the API's: a failed condition and a cancelled transaction for the
store to read, everything else a 4xx or a 503, within the store's deadline."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import ClientError as HttpClientError
from botocore.exceptions import BotoCoreError, ClientError

from picus.errors import ApiError, StoreUnavailable, from_client_error

log = logging.getLogger("picus.store")

#: A transaction's cancellation reasons that mean "not now" (DynamoDB API reference,
#: TransactWriteItems, "CancellationReasons").
TRANSIENT_REASONS = frozenset(
    {"None", "ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
)


class KeyTaken(Exception):
    """A conditional write whose condition failed; ``item``: what it found (ALL_OLD)."""

    def __init__(self, item: object) -> None:
        self.item = item


class Cancelled(Exception):
    """A transaction DynamoDB cancelled: the reason code of each of its writes (``None`` for
    a write that was not the cause), and their messages."""

    def __init__(self, reasons: list[str], messages: list[str]) -> None:
        self.reasons = reasons
        self.messages = messages


@asynccontextmanager
async def translated(operation: str, deadline: float) -> AsyncIterator[None]:
    """One call to the table, answered within ``deadline`` seconds or a 503."""
    try:
        async with asyncio.timeout(deadline):
            yield
    except TimeoutError as exc:
        log.warning("dynamodb %s failed: no answer within %.1f s", operation, deadline)
        raise StoreUnavailable(f"the table did not answer {operation} in time") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ConditionalCheckFailedException":
            raise KeyTaken(exc.response.get("Item")) from exc
        if error.get("Code") == "TransactionCanceledException":
            reasons = exc.response.get("CancellationReasons", [])
            raise Cancelled(
                [str(r.get("Code") or "None") for r in reasons],
                [str(r.get("Message") or "") for r in reasons],
            ) from exc
        answer = from_client_error(error)
        if isinstance(answer, StoreUnavailable):
            # Every 503 leaves a line for the operator; the unexpected ones as errors.
            level = logging.WARNING if answer.expected else logging.ERROR
            code, message = error.get("Code", ""), error.get("Message", "")
            log.log(level, "dynamodb %s failed: %s %s", operation, code, message)
        raise answer from exc
    except (BotoCoreError, HttpClientError, OSError) as exc:
        log.warning("dynamodb %s failed: %s", operation, type(exc).__name__)
        raise StoreUnavailable(f"the table cannot be reached ({type(exc).__name__})") from exc


def cancellation_error(cancelled: Cancelled) -> ApiError:
    """A cancelled transaction no condition explains: what DynamoDB refused in an item is the
    client's, as for a single write (a 400 or a 413); anything else is a 503."""
    if "ValidationError" in cancelled.reasons:
        message = cancelled.messages[cancelled.reasons.index("ValidationError")]
        return from_client_error({"Code": "ValidationException", "Message": message})
    unavailable = StoreUnavailable(
        f"the table cancelled the write ({', '.join(cancelled.reasons)})"
    )
    # Throttling is a known transient state; any other reason is logged as an error.
    unavailable.expected = set(cancelled.reasons) <= TRANSIENT_REASONS
    log.log(
        logging.WARNING if unavailable.expected else logging.ERROR,
        "dynamodb TransactWriteItems cancelled: %s",
        ", ".join(cancelled.reasons),
    )
    return unavailable
