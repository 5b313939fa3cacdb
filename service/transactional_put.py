"""A put with an ``Idempotency-Key`` as one transaction: the item and the key's record are
written together or not at all, so a retry finds the record and answers as the first request
was answered, whatever happened in between. Global tables in strong mode refuse transactions:
service/keyed_put.py is the store there."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from picus.contract import (
    CREATED_AT,
    IDEMPOTENCY_EXPIRES_AT,
    IDEMPOTENCY_FINGERPRINT,
    IDEMPOTENCY_OBJECT_ID,
    IDEMPOTENCY_PARTITION_KEY,
    PARTITION_KEY,
    PAYLOAD,
)
from picus.errors import Conflict
from service.idempotency import key_reused, record_write
from service.items import Created, new_item
from service.store import Store
from service.table_errors import Cancelled, cancellation_error
from service.wire import sending

if TYPE_CHECKING:
    from service.idempotency import IdempotentRequest
    from service.wire import Payload


class TransactionalStore(Store):
    """The store for a table in one Region, or a global table in eventual mode."""

    async def _put_idempotent(
        self, created: Created, payload: Payload, idempotent: IdempotentRequest
    ) -> Created | None:
        now = int(time.time())
        # The call's ClientRequestToken, the same on every retry botocore makes of it: a retry
        # of a transaction that succeeded succeeds again, unchanged (DynamoDB API reference,
        # TransactWriteItems, "ClientRequestToken"). Set here, as botocore would set one,
        # since the body sent is the service's encoding (service/wire.py).
        request: dict[str, Any] = {
            "TransactItems": [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": new_item(created, payload.value),
                        "ConditionExpression": "attribute_not_exists(#k)",
                        "ExpressionAttributeNames": {"#k": PARTITION_KEY},
                    }
                },
                {
                    "Put": record_write(
                        self._idempotency_table,
                        idempotent.request_key,
                        created,
                        idempotent.fingerprint,
                        now,
                    )
                },
            ],
            "ClientRequestToken": str(uuid.uuid4()),
        }
        try:
            async with self._translated("TransactWriteItems"):
                path = ("TransactItems", 0, "Put", "Item", PAYLOAD)
                with sending("TransactWriteItems", request, path, payload):
                    await self._client.transact_write_items(**request)
        except Cancelled as cancelled:
            item_reason, record_reason = [*cancelled.reasons, "", ""][:2]
            if record_reason == "TransactionConflict":
                # Another request with this key is being written right now (DynamoDB cancels
                # one of two transactions on one item): the draft's 409.
                raise Conflict(
                    "a request with this Idempotency-Key is in progress: retry it shortly"
                ) from cancelled
            if record_reason == "ConditionalCheckFailed":
                return await self._first_answer(idempotent, now)
            if item_reason == "ConditionalCheckFailed":
                return None
            # What DynamoDB refused in the item (its size, a number, its nesting) is the
            # client's, as for a plain PutItem; anything else is the table's.
            raise cancellation_error(cancelled) from cancelled
        return created

    async def _first_answer(self, idempotent: IdempotentRequest, now: int) -> Created | None:
        async with self._translated("GetItem"):
            answer = await self._client.get_item(
                TableName=self._idempotency_table,
                Key={IDEMPOTENCY_PARTITION_KEY: {"S": idempotent.request_key}},
                ConsistentRead=True,
            )
        record = answer.get("Item")
        if record is None or int(record[IDEMPOTENCY_EXPIRES_AT]["N"]) < now:
            # Forgotten between the write and this read: the caller writes anew.
            return None
        if record[IDEMPOTENCY_FINGERPRINT]["S"] != idempotent.fingerprint:
            raise key_reused()
        return Created(record[IDEMPOTENCY_OBJECT_ID]["S"], record[CREATED_AT]["S"], replayed=True)
