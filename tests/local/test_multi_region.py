"""Which region sets ``serve --regions`` accepts in each mode, and the witness it models."""

from __future__ import annotations

import pytest

from local.multi_region import witness_for
from picus.regions import Consistency


def test_strong_mode_takes_three_regions_of_one_set_or_two_and_a_witness() -> None:
    assert witness_for(["eu-west-1", "eu-west-2"], Consistency.STRONG) in {
        "eu-west-3",
        "eu-central-1",
    }
    assert witness_for(["us-east-1", "us-east-2", "us-west-2"], Consistency.STRONG) is None
    assert witness_for(["eu-west-1", "us-east-1"], Consistency.EVENTUAL) is None
    with pytest.raises(ValueError, match="one of these sets"):
        witness_for(["eu-west-1", "us-east-1"], Consistency.STRONG)
    with pytest.raises(ValueError, match="exactly 3"):
        witness_for(["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"], Consistency.STRONG)
    with pytest.raises(ValueError, match="two different"):
        witness_for(["eu-west-1", "eu-west-1"], Consistency.EVENTUAL)
