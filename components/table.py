"""The DynamoDB table the service and the Lambda share."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from picus.contract import PARTITION_KEY


@dataclass(frozen=True)
class TableArgs:
    table_name: str
    #: Deletion protection in AWS and a protected resource in Pulumi.
    protect: bool


class Table(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Table", name, {}, opts)
        table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=PARTITION_KEY,
            attributes=[aws.dynamodb.TableAttributeArgs(name=PARTITION_KEY, type="S")],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.arn = table.arn
        self.name = table.name
        self.register_outputs({"arn": self.arn, "name": self.name})
