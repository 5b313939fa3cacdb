"""An AWS WAF web ACL for the load balancer: AWS's managed rule groups for common attacks and
known bad inputs, and a rate limit per client IP.

The API stores opaque JSON documents of up to 400 KB, so rules of the common rule set that
judge a body by its size or by patterns inside it would refuse valid items; they are set to
count (visible in the WAF's metrics and sampled requests), never to block. The service itself
bounds bodies (413) and never renders, fetches or opens what an item holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

COMMON_RULE_SET: Final = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS_RULE_SET: Final = "AWSManagedRulesKnownBadInputsRuleSet"
#: Rules of the common rule set that inspect the request body: a valid item can match them
#: (8 KB is far below the API's 400 KB items; a payload may hold HTML or a URL).
BODY_RULES_COUNTED: Final = (
    "SizeRestrictions_BODY",
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
    "EC2MetaDataSSRF_BODY",
)
#: WAF's bounds for a rate-based rule's limit (requests per client IP per 5 minutes).
RATE_LIMIT_RANGE: Final = range(10, 2_000_000_001)


@dataclass(frozen=True)
class FirewallArgs:
    #: Requests one client IP may send in 5 minutes before it is blocked.
    rate_limit: int
    #: Count, never block: for a first rollout, to read what the rules would have done.
    count_only: bool


def _rule_visibility(metric: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


class Firewall(pulumi.ComponentResource):
    web_acl_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Firewall", name, {}, opts)
        # pulumi-aws types these two empty blocks' constructors without annotations.
        managed_action = aws.wafv2.WebAclRuleOverrideActionArgs(
            count=aws.wafv2.WebAclRuleOverrideActionCountArgs()  # type: ignore[no-untyped-call]
            if args.count_only
            else None,
            none=None if args.count_only else aws.wafv2.WebAclRuleOverrideActionNoneArgs(),  # type: ignore[no-untyped-call]
        )

        def managed(
            priority: int, group: str, counted: tuple[str, ...] = ()
        ) -> aws.wafv2.WebAclRuleArgs:
            return aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                override_action=managed_action,
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        vendor_name="AWS",
                        name=group,
                        rule_action_overrides=[
                            aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                                name=rule,
                                action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                                    count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
                                ),
                            )
                            for rule in counted
                        ]
                        or None,
                    )
                ),
                visibility_config=_rule_visibility(f"{name}-{group}"),
            )

        rate_limit = aws.wafv2.WebAclRuleArgs(
            name="rate-per-ip",
            priority=0,
            action=aws.wafv2.WebAclRuleActionArgs(
                count=aws.wafv2.WebAclRuleActionCountArgs() if args.count_only else None,
                block=None if args.count_only else aws.wafv2.WebAclRuleActionBlockArgs(),
            ),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=args.rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=_rule_visibility(f"{name}-rate-per-ip"),
        )
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            scope="REGIONAL",
            default_action=aws.wafv2.WebAclDefaultActionArgs(
                allow=aws.wafv2.WebAclDefaultActionAllowArgs()
            ),
            rules=[
                rate_limit,
                managed(1, COMMON_RULE_SET, BODY_RULES_COUNTED),
                managed(2, KNOWN_BAD_INPUTS_RULE_SET),
            ],
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.web_acl_arn = acl.arn
        self.register_outputs({"web_acl_arn": self.web_acl_arn})
