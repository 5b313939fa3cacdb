"""AWS's list prices the cost model uses, one book per region: each price with its unit, the
AWS page that publishes it, where the figure was read and when.

A region without a book has no prices here, and the cost model says so rather than borrow
another region's (``NoPrices``). No free tier, savings plan or the first 100 GB of data out
AWS gives away is counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    #: The AWS page that publishes the price.
    source: str
    #: Where the figure was read: AWS's pages render their tables with JavaScript, so the
    #: number was read from a page quoting them on ``read_on``. None: no page quoting this
    #: region's figure was found; the figure is the one AWS listed for the region on that
    #: date as far as this file's author knew it, and ``source`` is where to confirm it.
    read_from: str | None
    region: str
    read_on: str

    @property
    def confirmed(self) -> bool:
        return self.read_from is not None


class NoPrices(LookupError):
    """The cost model has no prices for a region."""


_FARGATE = "https://aws.amazon.com/fargate/pricing/"
_ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/"
_DYNAMODB = "https://aws.amazon.com/dynamodb/pricing/on-demand/"
_LAMBDA = "https://aws.amazon.com/lambda/pricing/"
_VPC = "https://aws.amazon.com/vpc/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_WAF = "https://aws.amazon.com/waf/pricing/"
_DATA_OUT = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer"
_ROUTE53 = "https://aws.amazon.com/route53/pricing/"

#: What each price is for: its unit and the AWS page that lists it, the same in every region.
ITEMS: Final[Mapping[str, tuple[str, str]]] = {
    "fargate_vcpu_arm": ("per vCPU-hour, Linux/ARM", _FARGATE),
    "fargate_gb_arm": ("per GB-hour, Linux/ARM", _FARGATE),
    "fargate_vcpu_x86": ("per vCPU-hour, Linux/X86", _FARGATE),
    "fargate_gb_x86": ("per GB-hour, Linux/X86", _FARGATE),
    "alb_hour": ("per Application Load Balancer-hour", _ELB),
    "alb_lcu": (
        "per LCU-hour (25 new connections/s, 3,000 active connections, 1 GB/hour to "
        "containers, 1,000 rule evaluations/s beyond 10 rules: the largest counts)",
        _ELB,
    ),
    "dynamodb_read": ("per million read request units, on-demand", _DYNAMODB),
    "dynamodb_write": ("per million write request units, on-demand", _DYNAMODB),
    # A global table's replicated writes are billed at this price in every other replica's
    # region: "Replicated write units (rWCUs and rWRUs) are priced the same as single-Region
    # write units (WCUs and WRUs)." (https://docs.aws.amazon.com/amazondynamodb/latest/
    # developerguide/global-tables-billing.html).
    "dynamodb_storage": ("per GB-month stored, Standard table class", _DYNAMODB),
    "lambda_request": ("per million requests", _LAMBDA),
    "lambda_arm": ("per GB-second, Arm", _LAMBDA),
    "snapstart_cache": (
        "per GB-second a SnapStart version's snapshot is cached (Python, .NET)",
        _LAMBDA,
    ),
    "snapstart_restore": ("per GB restored from a SnapStart snapshot (Python, .NET)", _LAMBDA),
    "nat_hour": ("per NAT gateway-hour", _VPC),
    "nat_gb": ("per GB processed by a NAT gateway", _VPC),
    "public_ipv4": ("per public IPv4 address-hour", _VPC),
    "logs_ingest": ("per GB ingested, CloudWatch Logs standard", _CLOUDWATCH),
    "logs_storage": ("per GB-month stored, CloudWatch Logs", _CLOUDWATCH),
    "alarm": ("per standard-resolution alarm metric-month", _CLOUDWATCH),
    "dashboard": ("per dashboard-month", _CLOUDWATCH),
    "waf_acl": ("per web ACL-month", _WAF),
    "waf_rule": ("per rule or managed rule group-month", _WAF),
    "waf_requests": ("per million requests inspected", _WAF),
    "data_out": ("per GB to the internet (first 10 TB a month)", _DATA_OUT),
    # Route 53 is a global service: one price everywhere, in each book for the model's sake.
    "route53_health_check": ("per health check-month of an AWS endpoint", _ROUTE53),
    "route53_health_check_option": (
        "per optional feature-month of a health check of an AWS endpoint (HTTPS, fast "
        "interval, string matching, latency measurement: each counts)",
        _ROUTE53,
    ),
}


def _book(
    region: str, read_on: str, figures: Mapping[str, tuple[float, str | None]]
) -> dict[str, Price]:
    assert figures.keys() == ITEMS.keys(), set(figures) ^ set(ITEMS)
    return {
        name: Price(usd, ITEMS[name][0], ITEMS[name][1], read_from, region, read_on)
        for name, (usd, read_from) in figures.items()
    }


_VANTAGE = "https://www.vantage.sh/blog/fargate-pricing"
_LAMBDA_COST = (
    "https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/"
    "lambda-13-cost.md"
)
_SNAPSTART = "https://awsnegotiations.com/blog/lambda-snapstart-cost-impact/"
_IPV4 = "https://www.doit.com/aws-public-ipv4-price-increase-the-complete-guide/"
_CW_FACTUAL = (
    "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/"
)
_CW_BURN = "https://cloudburn.io/blog/amazon-cloudwatch-pricing"
_WAF_C3X = "https://c3x.dev/blog/aws-waf-cost-explained/"
_DATA_OUT_WRING = "https://wring.co/blog/aws-data-transfer-pricing-guide"
_HEALTH_CHECK = "https://wewantcode.com/en/course/aws/lesson/7-84-health-checks-status-check.html"

US_EAST_1: Final = _book(
    "us-east-1",
    "2026-11-30",
    {
        "fargate_vcpu_arm": (0.03238, _VANTAGE),
        "fargate_gb_arm": (0.00356, _VANTAGE),
        "fargate_vcpu_x86": (0.04048, _VANTAGE),
        "fargate_gb_x86": (0.004445, _VANTAGE),
        "alb_hour": (0.0225, "https://cloud-horizons.com/blog/alb-the-line-item-nobody-watches/"),
        "alb_lcu": (0.008, "https://handbook.vantage.sh/aws/services/elb-pricing"),
        "dynamodb_read": (0.125, "https://airbyte.com/data-engineering-resources/dynamodb-pricing"),
        "dynamodb_write": (
            0.625,
            "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
        ),
        "lambda_request": (0.20, _LAMBDA_COST),
        "lambda_arm": (0.0000133334, _LAMBDA_COST),
        "snapstart_cache": (0.0000015046, _SNAPSTART),
        "snapstart_restore": (0.0001397998, _SNAPSTART),
        "nat_hour": (0.045, "https://basavytix.com/blog/aws-nat-gateway-pricing"),
        "nat_gb": (0.045, "https://basavytix.com/blog/aws-nat-gateway-pricing"),
        "public_ipv4": (0.005, _IPV4),
        "logs_ingest": (0.50, _CW_FACTUAL),
        "logs_storage": (0.03, _CW_BURN),
        "alarm": (0.10, _CW_BURN),
        "dashboard": (3.00, _CW_FACTUAL),
        "waf_acl": (5.00, _WAF_C3X),
        "waf_rule": (1.00, _WAF_C3X),
        "waf_requests": (0.60, _WAF_C3X),
        "data_out": (0.09, _DATA_OUT_WRING),
        "dynamodb_storage": (0.25, None),
        "route53_health_check": (0.50, _HEALTH_CHECK),
        "route53_health_check_option": (1.00, None),
    },
)

#: Europe (Ireland), where both committed stacks deploy. Where a page quoting Ireland's own
#: figure was found it is named; the others are unconfirmed (``read_from`` None).
EU_WEST_1: Final = _book(
    "eu-west-1",
    "2026-12-07",
    {
        "fargate_vcpu_arm": (0.03238, None),
        "fargate_gb_arm": (0.00356, None),
        "fargate_vcpu_x86": (0.04048, None),
        "fargate_gb_x86": (0.004445, None),
        "alb_hour": (0.0252, "https://cal53.calculator.city/aws-alb-cost-calculator/"),
        "alb_lcu": (0.008, None),
        "dynamodb_read": (0.1414, None),
        "dynamodb_write": (0.7069, None),
        "lambda_request": (0.20, None),
        "lambda_arm": (0.0000133334, None),
        "snapstart_cache": (0.0000015046, None),
        "snapstart_restore": (0.0001397998, None),
        "nat_hour": (
            0.048,
            "https://cloudpipelines.pages.dev/guides/aws-nat-gateway-pricing-2026/",
        ),
        "nat_gb": (0.048, "https://cloudpipelines.pages.dev/guides/aws-nat-gateway-pricing-2026/"),
        "public_ipv4": (0.005, None),
        "logs_ingest": (0.57, None),
        "logs_storage": (0.03, None),
        "alarm": (0.10, None),
        "dashboard": (3.00, None),
        "waf_acl": (5.00, None),
        "waf_rule": (1.00, None),
        "waf_requests": (0.60, None),
        "data_out": (0.09, None),
        "dynamodb_storage": (0.283, None),
        "route53_health_check": (0.50, _HEALTH_CHECK),
        "route53_health_check_option": (1.00, None),
    },
)

BOOKS: Final[Mapping[str, Mapping[str, Price]]] = {
    book["alb_hour"].region: book for book in (US_EAST_1, EU_WEST_1)
}


def prices_for(region: str) -> Mapping[str, Price]:
    """The region's book, or ``NoPrices`` naming the regions that have one."""
    try:
        return BOOKS[region]
    except KeyError:
        have = ", ".join(sorted(BOOKS))
        raise NoPrices(
            f"no prices for {region} in bench/prices.py (it has {have}): add that region's "
            "book, each price with its unit, date and source page, to estimate it"
        ) from None


def prices_table() -> str:
    """Every book's prices, as the cost page lists them."""
    lines = [
        "| region | price | USD | unit | read on | listed on | read from |",
        "|---|---|---|---|---|---|---|",
    ]
    for region, book in sorted(BOOKS.items()):
        for name, p in book.items():
            read_from = f"<{p.read_from}>" if p.read_from else "not confirmed"
            lines.append(
                f"| {region} | `{name}` | {p.usd:g} | {p.unit} | {p.read_on} | <{p.source}> "
                f"| {read_from} |"
            )
    return "\n".join(lines) + "\n"
