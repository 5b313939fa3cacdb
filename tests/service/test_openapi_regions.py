"""Each operation's description in the OpenAPI document says what its promises keep across
regions in each consistency mode, in the words of picus/guarantees.py."""

from __future__ import annotations

from docsite.api_page import operations
from picus.guarantees import GUARANTEES, for_operation
from picus.regions import Consistency
from service.openapi import document


def test_each_affected_operation_says_what_holds_across_regions_per_mode() -> None:
    described = {
        f"{method} {path}": op["description"] for method, path, op in operations(document())
    }
    for g in GUARANTEES:
        for operation in g.operations:
            # Every operation the table names is one the document has.
            text = described[operation]
            assert "Across regions:" in text, operation
            for mode in Consistency:
                verdict = g.verdict(mode)
                assert f"{verdict.holds}: {verdict.reason}" in text, (operation, mode)
    # Health has no promise that a region changes, and says nothing of regions.
    unaffected = [op for op in described if not for_operation(*op.split(" "))]
    assert unaffected and all("Across regions" not in described[op] for op in unaffected)
