"""Which regions a stack runs in, in which consistency mode, and what AWS refuses of them.

The facts behind each refusal are DynamoDB's ("How DynamoDB global tables work",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html)
and Route 53's ("Values that you specify when you create or update health checks",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html).
They are checked on ``preview``, before anything is created, because AWS would refuse them
halfway through an update: after the first region's resources changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from picus.regions import (
    CONSISTENCY_ENV,
    HEALTH_CHECK_FAILURE_THRESHOLD,
    HEALTH_CHECK_FAILURE_THRESHOLDS,
    HEALTH_CHECK_INTERVAL,
    HEALTH_CHECK_INTERVALS,
    STRONG_REGION_COUNT,
    STRONG_REGION_SETS,
    Consistency,
)

_REGION: Final = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")


@dataclass(frozen=True)
class RegionSettings:
    """The regions of one API and how its tables replicate between them."""

    #: Every region the API runs in, the stack's own first; one region is a stack of one.
    regions: tuple[str, ...]
    consistency: Consistency
    witness_region: str | None
    #: The certificates of the regions after the first, each naming its region in its ARN.
    certificate_arns: tuple[str, ...]
    health_check_interval: int
    health_check_failure_threshold: int
    #: The region a release is in; None: all at once.
    release_region: str | None = None

    @property
    def routed(self) -> bool:
        """Whether Route 53 routes the domain by latency between the listed regions: a
        GlobalApi, of one region or more. Empty, the stack of one region of before."""
        return bool(self.regions)

    @property
    def several(self) -> bool:
        return len(self.regions) > 1

    @property
    def replica_regions(self) -> tuple[str, ...]:
        """Where the first region's tables have their replicas."""
        return self.regions[1:]

    def certificate_for(self, region: str) -> str | None:
        return next((a for a in self.certificate_arns if arn_region(a) == region), None)


#: A stack of one region, as every stack was before GlobalApi.
ONE_REGION: Final = RegionSettings(
    (), Consistency.EVENTUAL, None, (), HEALTH_CHECK_INTERVAL, HEALTH_CHECK_FAILURE_THRESHOLD
)


def service_consistency(r: RegionSettings) -> Consistency:
    """How the service writes: strong only on a strong global table; in one region, as on an
    eventual global table, with transactions."""
    if r.several and r.consistency is Consistency.STRONG:
        return Consistency.STRONG
    return Consistency.EVENTUAL


def consistency_environment(consistency: Consistency) -> dict[str, str]:
    """What tells the service its tables' mode: nothing for eventual, as in one region, so a
    stack's task definition changes only when the mode asks the service to write otherwise."""
    if consistency is Consistency.STRONG:
        return {CONSISTENCY_ENV: Consistency.STRONG.value}
    return {}


def arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def region_problems(
    r: RegionSettings,
    *,
    https: bool,
    domain_name: str | None,
    hosted_zone_id: object,
    regional: dict[str, object],
) -> list[str]:
    """Why these regions cannot be deployed, each naming its keys. ``regional`` holds the
    settings that name one region's resource (a KMS key, a web ACL, a topic, a VPC): set, they
    cannot serve several regions."""
    problems = [
        f"picus:regions {region!r} is not an AWS region name (eu-west-1)"
        for region in r.regions
        if not _REGION.fullmatch(region)
    ]
    if len(set(r.regions)) != len(r.regions):
        problems.append(f"picus:regions {list(r.regions)} names a region twice")
    if r.health_check_interval not in HEALTH_CHECK_INTERVALS:
        problems.append(
            f"picus:healthCheckInterval {r.health_check_interval} is not one of Route 53's "
            f"intervals {', '.join(map(str, HEALTH_CHECK_INTERVALS))}"
        )
    if r.health_check_failure_threshold not in HEALTH_CHECK_FAILURE_THRESHOLDS:
        problems.append(
            f"picus:healthCheckFailureThreshold {r.health_check_failure_threshold} is not "
            f"{HEALTH_CHECK_FAILURE_THRESHOLDS.start}..{HEALTH_CHECK_FAILURE_THRESHOLDS.stop - 1}"
        )
    if not r.several and (
        r.consistency is Consistency.STRONG
        or r.witness_region
        or r.certificate_arns
        or r.release_region
    ):
        problems.append(
            "picus:consistency, picus:witnessRegion, picus:regionCertificateArns and "
            "picus:releaseRegion need picus:regions to name several regions"
        )
    if not r.routed:
        return problems
    if not (domain_name and hosted_zone_id):
        problems.append(
            "picus:regions needs picus:domainName and picus:hostedZoneId: the name Route 53's "
            "latency records put every region behind"
        )
    if not r.several:
        return problems
    problems += _strong_problems(r) if r.consistency is Consistency.STRONG else []
    if r.release_region and r.release_region not in r.regions:
        problems.append(f"picus:releaseRegion {r.release_region!r} is not one of picus:regions")
    if r.witness_region and r.consistency is Consistency.EVENTUAL:
        problems.append(
            "picus:witnessRegion: only a strong (MRSC) global table has a witness; clear it "
            "or set picus:consistency strong"
        )
    problems += _certificate_problems(r, https)
    problems += [
        f"picus:{key} names a resource of one region, and picus:regions names several: leave "
        "it empty (each region then gets its own)"
        for key, value in regional.items()
        if value
    ]
    return problems


def _strong_problems(r: RegionSettings) -> list[str]:
    problems = []
    places = (*r.regions, *([r.witness_region] if r.witness_region else []))
    if len(places) != STRONG_REGION_COUNT or (r.witness_region and len(r.regions) != 2):
        problems.append(
            "picus:consistency strong: an MRSC global table lies in exactly three regions, "
            "three picus:regions or two and picus:witnessRegion; "
            f"these are {len(r.regions)} and {'a' if r.witness_region else 'no'} witness"
        )
    if r.witness_region in r.regions:
        problems.append("picus:witnessRegion must be a region other than picus:regions'")
    if not any(set(places) <= region_set for region_set in STRONG_REGION_SETS):
        sets = "; ".join(", ".join(sorted(s)) for s in STRONG_REGION_SETS)
        problems.append(
            f"picus:consistency strong: {', '.join(places)} do not lie in one MRSC region set "
            f"({sets})"
        )
    return problems


def _certificate_problems(r: RegionSettings, https: bool) -> list[str]:
    if not https:
        if r.certificate_arns:
            return ["picus:regionCertificateArns need picus:certificateArn"]
        return []
    problems = [
        f"picus:regionCertificateArns {arn!r} is a certificate of {arn_region(arn) or 'no region'}"
        f", which is not one of {', '.join(r.replica_regions)}"
        for arn in r.certificate_arns
        if arn_region(arn) not in r.replica_regions
    ]
    missing = [region for region in r.replica_regions if r.certificate_for(region) is None]
    if missing:
        problems.append(
            f"picus:regionCertificateArns needs a certificate of {', '.join(missing)} for "
            "picus:domainName (ACM certificates are regional)"
        )
    return problems
