"""One translation of DynamoDB's errors: every code the store and the function can meet gives
the same status and error code from the service and from the function."""

from __future__ import annotations

from collections.abc import Iterator

import botocore.session
import httpx
import pytest

from devkit.fault_proxy import Fault, FaultProxy
from picus.errors import (
    REPLICATED_WRITE_CONFLICT,
    ErrorCode,
    StoreUnavailable,
    WriteConflict,
    from_client_error,
)
from service.settings import Settings
from tests.fault_origin import fault_origin

KEY = "2f897e49-a179-4160-8056-d96c51aab199"
#: The errors DynamoDB's model lists for the operations the two runtimes call, and the common
#: errors of every DynamoDB API call (its API reference, "Common Errors").
_MODEL = botocore.session.get_session().get_service_model("dynamodb")
OPERATION_ERRORS = {
    shape.name
    for operation in ("GetItem", "PutItem", "Scan", "DeleteItem")
    for shape in _MODEL.operation_model(operation).error_shapes
}
COMMON_ERRORS = {
    "AccessDeniedException",
    "ExpiredTokenException",
    "IncompleteSignature",
    "LimitExceededException",
    "MissingAuthenticationToken",
    "ServiceUnavailable",
    "UnrecognizedClientException",
    "ValidationException",
}
#: A conditional write's failure means "taken" to the put and "gone" to the delete: tested
#: where each happens, not here.
CODES = sorted((OPERATION_ERRORS | COMMON_ERRORS) - {"ConditionalCheckFailedException"})
HTTP_STATUS = {"InternalServerError": 500, "ServiceUnavailable": 503}
SIZE = "Item size has exceeded the maximum allowed size"


def expected(code: str, message: str) -> ErrorCode:
    if code == "ValidationException":
        return ErrorCode.PAYLOAD_TOO_LARGE if message == SIZE else ErrorCode.INVALID_VALUE
    return ErrorCode.BACKEND_UNAVAILABLE


@pytest.fixture(scope="module")
def origin(settings: Settings, proxy: FaultProxy) -> Iterator[str]:
    with fault_origin(settings, proxy) as url:
        yield url


def outcome(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.parametrize(
    ("code", "message"),
    [(code, "refused") for code in CODES] + [("ValidationException", SIZE)],
)
def test_the_service_and_the_function_answer_every_dynamodb_error_alike(
    origin: str, proxy: FaultProxy, code: str, message: str
) -> None:
    proxy.error = (HTTP_STATUS.get(code, 400), code, message)
    proxy.set(Fault.ERROR)
    try:
        from_service = outcome(httpx.get(f"{origin}/picus/get/{KEY}", timeout=30))
        from_function = outcome(httpx.delete(f"{origin}/picus/{KEY}", timeout=30))
    finally:
        proxy.set(Fault.NONE)
    want = expected(code, message)
    assert from_service == from_function == (int(want.status), want.code), code


def test_unknown_and_access_errors_are_unexpected_and_transient_ones_not() -> None:
    # The operator is paged (an error line) for what a retry will not fix.
    for code in ("AccessDeniedException", "ResourceNotFoundException", "SomethingNew"):
        error = from_client_error({"Code": code, "Message": "m"})
        assert isinstance(error, StoreUnavailable) and not error.expected, code
    for code in ("ThrottlingException", "ProvisionedThroughputExceededException"):
        assert from_client_error({"Code": code}).expected, code
    # Another Region writing the item now: a 503 for any write, known to the put with a key.
    conflict = from_client_error({"Code": REPLICATED_WRITE_CONFLICT})
    assert isinstance(conflict, WriteConflict) and conflict.expected
    assert conflict.code is ErrorCode.BACKEND_UNAVAILABLE
    gone = from_client_error({"Code": "ConditionalCheckFailedException"}, KEY)
    assert (gone.code, gone.message) == (ErrorCode.NOT_FOUND, f"no item has the key {KEY}")


@pytest.mark.parametrize(
    ("status", "code"),
    [
        # A framework's 404 is a path's: a missing item is the API's own answer.
        (404, ErrorCode.NO_ROUTE),
        (405, ErrorCode.METHOD_NOT_ALLOWED),
        (413, ErrorCode.PAYLOAD_TOO_LARGE),
        (400, ErrorCode.INVALID_VALUE),
        (409, ErrorCode.INVALID_VALUE),
        (412, ErrorCode.INVALID_VALUE),
        (428, ErrorCode.INVALID_VALUE),
        (500, ErrorCode.INTERNAL),
        (502, ErrorCode.INTERNAL),
    ],
)
def test_a_frameworks_status_keeps_its_meaning(status: int, code: ErrorCode) -> None:
    # A 5xx the framework raises is never blamed on the client as a 400.
    from picus.errors import code_for_status

    assert code_for_status(status) is code
