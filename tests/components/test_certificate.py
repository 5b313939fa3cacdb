"""A certificate of another region than the stack's is refused on preview, naming both; the
listener then never meets it."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from components.certificate import region_problem
from tests.components.conftest import PRODUCTION_REQUIRED, harness
from tests.components.harness import REGION

CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/abc"


def test_a_certificate_of_another_region_is_refused_naming_both() -> None:
    other = CERTIFICATE.format(region="us-east-1")
    result = harness("prod", "prod", {**PRODUCTION_REQUIRED, "certificateArn": other})
    assert result.returncode == 3, result.stderr
    refusal = json.loads(result.stdout)["refused"]
    assert "certificateArn" in refusal and "us-east-1" in refusal and REGION in refusal
    assert "Traceback" not in refusal


def test_the_stack_regions_own_certificate_passes() -> None:
    result = harness("prod", "prod", PRODUCTION_REQUIRED)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert PRODUCTION_REQUIRED["certificateArn"] == CERTIFICATE.format(region=REGION)


@given(st.sampled_from(["eu-west-1", "eu-west-2", "us-east-1", "ap-south-1"]),
       st.sampled_from(["eu-west-1", "eu-west-2", "us-east-1", "ap-south-1"]))  # fmt: skip
def test_only_the_same_region_passes(certificate_region: str, stack_region: str) -> None:
    problem = region_problem(CERTIFICATE.format(region=certificate_region), stack_region)
    assert (problem is None) == (certificate_region == stack_region)
    if problem:
        assert certificate_region in problem and stack_region in problem
