"""What each promise keeps across regions (picus/guarantees.py): the conclusions the guarantees
page and the API document show, each resting on AWS's own pages, about operations that exist,
and naming the answers the API really gives."""

from __future__ import annotations

from http import HTTPStatus

from picus.contract import EXAMPLE_KEY
from picus.errors import ErrorCode, from_client_error
from picus.guarantees import GUARANTEES, Holds, for_operation
from picus.regions import Consistency
from picus.routing import rule_for


def test_strong_keeps_every_promise_across_regions_and_eventual_none() -> None:
    for g in GUARANTEES:
        assert g.strong.holds is Holds.EVERYWHERE, g.name
        assert g.eventual.holds is not Holds.EVERYWHERE, g.name
    # Eventual loses outright what a failed region's last writes and a racing delete need.
    lost = {g.name for g in GUARANTEES if g.eventual.holds is Holds.NO}
    assert lost == {"No acknowledged write is lost when a region fails", "A delete stays deleted"}


def test_every_verdict_rests_on_aws_documentation() -> None:
    for g in GUARANTEES:
        for mode in Consistency:
            verdict = g.verdict(mode)
            assert verdict.quotes, (g.name, mode)
            for quote, url in verdict.quotes:
                assert url.startswith("https://docs.aws.amazon.com/"), (g.name, url)
                assert quote and quote.strip() == quote, (g.name, mode)


def test_every_operation_named_is_one_the_api_routes() -> None:
    for g in GUARANTEES:
        for operation in g.operations:
            method, path = operation.split(" ")
            assert rule_for(method, path.replace("{key}", EXAMPLE_KEY)), operation


def test_each_operation_finds_its_promises() -> None:
    assert [g.name for g in for_operation("post", "/picus/put")] == [
        "An Idempotency-Key creates once",
        "No acknowledged write is lost when a region fails",
    ]
    assert for_operation("GET", "/health") == ()


def test_strong_modes_conflict_answers_are_the_apis() -> None:
    # A write another region is making: the API's 503 with Retry-After, or, for a keyed put,
    # 409 idempotency_key_in_use: what the verdicts tell a client to retry.
    conflict = from_client_error({"Code": "ReplicatedWriteConflictException"})
    assert conflict.code.status == HTTPStatus.SERVICE_UNAVAILABLE
    (conditional,) = [g for g in GUARANTEES if "If-Match" in g.name]
    assert "503 with Retry-After" in conditional.strong.reason
    keyed = for_operation("POST", "/picus/put")[0]
    in_use = ErrorCode.IDEMPOTENCY_KEY_IN_USE
    assert f"{int(in_use.status)} {in_use.code}" in keyed.strong.reason
