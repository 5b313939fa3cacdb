"""What a stack of several regions may be: preview refuses, naming the keys, every combination
AWS would refuse halfway through an update (components/multi_region.py)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from components.multi_region import region_problems
from components.stack_config import load
from picus.regions import STRONG_REGION_COUNT, STRONG_REGION_SETS, Consistency
from tests.components.conftest import (
    PRODUCTION_REQUIRED,
    THREE_STRONG_REGIONS,
    TWO_REGIONS,
    harness,
)
from tests.components.test_stack_config import Source, refusal

#: Regions of every MRSC region set, and some of none.
REGIONS = sorted({*set().union(*STRONG_REGION_SETS), "us-west-1", "eu-north-1", "sa-east-1"})


def regions(*names: str) -> str:
    return json.dumps(list(names))


def test_two_regions_and_three_strong_regions_are_accepted() -> None:
    two = load(Source("dev", **TWO_REGIONS), "dev").regions
    assert two.regions == ("eu-west-1", "us-east-1") and two.consistency is Consistency.EVENTUAL
    three = load(Source("prod", **PRODUCTION_REQUIRED, **THREE_STRONG_REGIONS), "prod").regions
    assert three.consistency is Consistency.STRONG and len(three.regions) == STRONG_REGION_COUNT
    witnessed = {**TWO_REGIONS, "regions": regions("eu-west-1", "eu-west-3")}
    witnessed |= {"consistency": "strong", "witnessRegion": "eu-central-1"}
    assert load(Source("dev", **witnessed), "dev").regions.witness_region == "eu-central-1"


def test_no_regions_is_the_stack_of_before_and_one_is_routed_by_latency() -> None:
    before = load(Source("dev"), "dev").regions
    assert not before.routed and not before.several
    one = load(Source("dev", **{**TWO_REGIONS, "regions": regions("eu-west-1")}), "dev").regions
    assert one.routed and not one.several


def test_listed_regions_need_one_name_in_a_hosted_zone() -> None:
    for listed in (regions("eu-west-1"), regions("eu-west-1", "us-east-1")):
        message = refusal("dev", regions=listed)
        assert "picus:regions needs picus:domainName and picus:hostedZoneId" in message


def test_the_first_region_is_the_stacks_own() -> None:
    # Its cluster runs on the stack's provider and owns the tables: the other regions hold
    # their replicas. Known once the provider's region is, at preview.
    swapped = {**TWO_REGIONS, "regions": regions("us-east-1", "eu-west-1")}
    result = harness("dev", "dev", swapped)
    assert result.returncode == 3, result.stderr
    assert "begins with us-east-1, and the stack deploys to eu-west-1" in result.stdout


def test_a_regional_resource_cannot_serve_several_regions() -> None:
    message = refusal(
        "dev",
        **TWO_REGIONS,
        tableKmsKeyArn="arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab",
        alarmTopicArn="arn:aws:sns:eu-west-1:123456789012:pager",
    )
    assert "picus:tableKmsKeyArn names a resource of one region" in message
    assert "picus:alarmTopicArn names a resource of one region" in message


def test_https_needs_a_certificate_of_every_other_region() -> None:
    https = {**PRODUCTION_REQUIRED, **TWO_REGIONS, "domainName": "api.example.com"}
    message = refusal("prod", **https)
    assert "picus:regionCertificateArns needs a certificate of us-east-1" in message
    elsewhere = regions("arn:aws:acm:eu-west-2:123456789012:certificate/x")
    message = refusal("prod", **https, regionCertificateArns=elsewhere)
    assert "is a certificate of eu-west-2, which is not one of us-east-1" in message


def test_what_needs_several_regions_is_refused_for_one() -> None:
    message = refusal("dev", consistency="strong", releaseRegion="eu-west-1")
    assert "need picus:regions to name several regions" in message


def test_bad_region_names_health_checks_and_release_regions_are_refused() -> None:
    message = refusal(
        "dev",
        **{**TWO_REGIONS, "regions": regions("eu-west-1", "mars-1", "eu-west-1")},
        healthCheckInterval="15",
        healthCheckFailureThreshold="11",
        releaseRegion="ap-south-1",
    )
    for expected in (
        "picus:regions 'mars-1' is not an AWS region name",
        "names a region twice",
        "picus:healthCheckInterval 15 is not one of Route 53's intervals 10, 30",
        "picus:healthCheckFailureThreshold 11 is not 1..10",
        "picus:releaseRegion 'ap-south-1' is not one of picus:regions",
    ):
        assert expected in message, expected


def test_a_witness_belongs_to_strong_mode() -> None:
    message = refusal("dev", **TWO_REGIONS, witnessRegion="eu-west-2")
    assert "only a strong (MRSC) global table has a witness" in message


def _strong(places: list[str], witness: str | None) -> list[str]:
    from dataclasses import replace

    from components.multi_region import ONE_REGION

    settings = replace(
        ONE_REGION,
        regions=tuple(places),
        consistency=Consistency.STRONG,
        witness_region=witness,
    )
    return region_problems(
        settings, https=False, domain_name="x.example.com", hosted_zone_id="Z1", regional={}
    )


@given(
    st.lists(st.sampled_from(REGIONS), min_size=2, max_size=4, unique=True),
    st.none() | st.sampled_from(REGIONS),
)
def test_strong_mode_is_accepted_exactly_where_aws_deploys_an_mrsc_table(
    places: list[str], witness: str | None
) -> None:
    # "A MRSC global table must be deployed in exactly three Regions ... three replicas, or
    # two replicas and one witness"; "MRSC global tables cannot span Region sets"; the witness
    # lies in "a different Region than the two replicas".
    everywhere = {*places, *([witness] if witness else [])}
    deployable = (
        (len(places) == 3 and witness is None)
        or (len(places) == 2 and witness is not None and witness not in places)
    ) and any(everywhere <= region_set for region_set in STRONG_REGION_SETS)
    problems = _strong(places, witness)
    assert (problems == []) == deployable, problems
    assert all(p.startswith("picus:") for p in problems)
