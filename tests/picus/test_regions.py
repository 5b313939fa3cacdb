"""What each consistency mode asks of a stack, and the size of the idempotency record that
strong mode, without TTL, keeps for good (picus/regions.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from picus import contract
from picus.regions import (
    ITEM_STORAGE_OVERHEAD_BYTES,
    Consistency,
    constraints,
    idempotency_record_bytes,
)
from service.idempotency import idempotent_request
from service.items import utc_now


def _dynamodb_bytes(item: dict[str, Any]) -> int:
    """An item's size by DynamoDB's rules ("Item sizes and formats"): each attribute's name,
    and its value (a string's UTF-8 bytes, a number's significant digits in pairs plus one, a
    boolean one byte)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, raw),) = value.items()
        if kind == "S":
            size += len(raw.encode())
        elif kind == "N":
            size += (len(raw.strip("0")) + 1) // 2 + 1
        else:
            assert kind == "BOOL"
            size += 1
    return size


def test_the_record_size_is_a_stored_records_as_the_service_writes_it() -> None:
    # A record as service/keyed_put.py leaves it: claimed, its item written, marked stored.
    request = idempotent_request("a key", None, b'{"a": 1}')
    record = {
        contract.IDEMPOTENCY_PARTITION_KEY: {"S": request.request_key},
        contract.IDEMPOTENCY_OBJECT_ID: {"S": str(uuid.uuid4())},
        contract.CREATED_AT: {"S": utc_now()},
        contract.IDEMPOTENCY_FINGERPRINT: {"S": request.fingerprint},
        contract.IDEMPOTENCY_EXPIRES_AT: {
            "N": str(int(time.time()) + contract.IDEMPOTENCY_TTL_SECONDS)
        },
        contract.IDEMPOTENCY_STORED: {"BOOL": True},
    }
    assert idempotency_record_bytes() == _dynamodb_bytes(record) + ITEM_STORAGE_OVERHEAD_BYTES


def test_strong_mode_states_its_record_storage_and_eventual_keeps_its_data() -> None:
    size = idempotency_record_bytes()
    strong = " ".join(c.rule for c in constraints(Consistency.STRONG))
    assert f"{size} bytes each, {size / 1000:g} GB per million keyed puts" in strong
    assert "{" not in strong
    (eventual,) = constraints(Consistency.EVENTUAL)
    assert "keeping its items" in eventual.rule
