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

from picus.regions import Consistency


@dataclass(frozen=True)
class TableReplication:
    """A global table: a replica in each of ``regions`` (the table's own region excluded)."""

    regions: tuple[str, ...]
    consistency: Consistency
    #: A strong table's witness region, with two regions; None for none.
    witness_region: str | None


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
    #: Replicas in other regions; None: a table of this region alone.
    replication: TableReplication | None = None


class Table(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(
        self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:Table", name, {}, opts)
        replication = args.replication
        strong = replication is not None and replication.consistency is Consistency.STRONG
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
                # "Time to Live (TTL) is not supported for MRSC global tables": a strong table's
                # expired records stay, and count for nothing (picus/contract.py).
                if args.ttl_attribute and not strong
                else None
            ),
            replicas=_replicas(replication) if replication else None,
            global_table_witness=(
                aws.dynamodb.TableGlobalTableWitnessArgs(region_name=replication.witness_region)
                if replication and strong and replication.witness_region
                else None
            ),
            # An MREC replica's stream is on and cannot be turned off; the provider must say so,
            # or it plans to turn it off on every update (hashicorp/terraform-provider-aws#43625).
            stream_enabled=True if replication and not strong else None,
            stream_view_type="NEW_AND_OLD_IMAGES" if replication and not strong else None,
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


def _replicas(replication: TableReplication) -> list[aws.dynamodb.TableReplicaArgs]:
    """A replica in each other region (global tables version 2019.11.21). Adding one is an
    in-place UpdateTable, the table keeping its data ("How DynamoDB global tables work").
    Point-in-time recovery is a replica's own setting, never synchronized: each replica gets
    the table's. Deletion protection is one too, and stays off: a region leaves the stack by
    leaving ``regions``, in one update, its data still in every other replica; the table itself
    keeps its protection."""
    strong = replication.consistency is Consistency.STRONG
    return [
        aws.dynamodb.TableReplicaArgs(
            region_name=region,
            point_in_time_recovery=True,
            deletion_protection_enabled=False,
            propagate_tags=True,
            consistency_mode="STRONG" if strong else None,
        )
        for region in replication.regions
    ]
