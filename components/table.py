"""A DynamoDB table of the API: the data table the service and the Lambda share, and the table
that remembers each ``Idempotency-Key`` (the service's alone, its records expired by TTL).

Encryption at rest is always on in DynamoDB. Without a configured key the table uses the AWS
owned key: no cost, no KMS request quota on the request path, nothing to rotate. A customer
managed key (``tableKmsKeyArn``) is for deployers who must control or audit key use; the roles
then get exactly the key operations DynamoDB performs for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class TableArgs:
    table_name: str
    #: Deletion protection in AWS, a protected resource in Pulumi, and retained on delete.
    protect: bool
    #: A customer managed KMS key; None for the AWS owned key.
    kms_key_arn: str | None
    #: The partition key, a string attribute.
    partition_key: str
    #: The attribute DynamoDB's TTL reads (epoch seconds); None: items live until deleted.
    ttl_attribute: str | None


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
            hash_key=args.partition_key,
            attributes=[aws.dynamodb.TableAttributeArgs(name=args.partition_key, type="S")],
            # TTL deletes expired items in the background, days after they expire at worst, at
            # no cost: the attribute, not the item's absence, says whether one still counts.
            ttl=(
                aws.dynamodb.TableTtlArgs(attribute_name=args.ttl_attribute, enabled=True)
                if args.ttl_attribute
                else None
            ),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=(
                aws.dynamodb.TableServerSideEncryptionArgs(
                    enabled=True, kms_key_arn=args.kms_key_arn
                )
                if args.kms_key_arn
                else None
            ),
            deletion_protection_enabled=args.protect,
            # A protected table outlives its place in the program: a refactor that drops or
            # renames it without an alias, or a `destroy` after protect is lifted in Pulumi
            # only, forgets it in the state and leaves it, with its data, in the account.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )
        self.arn = table.arn
        self.name = table.name
        self.register_outputs({"arn": self.arn, "name": self.name})
