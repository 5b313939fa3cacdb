"""A cluster's two tables: the items, and the records of Idempotency-Keys.

A cluster of one region, or the first region's of a GlobalApi, owns them (global tables when
the API has several regions); a cluster of another region uses their replicas in its region.
"""

from dataclasses import dataclass

import pulumi

from components.cluster_settings import ClusterSettings
from components.region_role import ReplicaTables
from components.table import Table, TableArgs, TableReplication
from picus.contract import IDEMPOTENCY_EXPIRES_AT, IDEMPOTENCY_PARTITION_KEY, PARTITION_KEY


@dataclass(frozen=True)
class ClusterTable:
    """A table as the cluster's parts address it."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]


def own_tables(
    s: ClusterSettings, top: pulumi.ResourceOptions
) -> tuple[ClusterTable, ClusterTable]:
    """The data table and the Idempotency-Key table, global tables when the API has several
    regions."""
    replication = (
        TableReplication(s.regions.replica_regions, s.regions.consistency, s.regions.witness_region)
        if s.regions.several
        else None
    )
    table = Table(
        s.name,
        TableArgs(
            table_name=s.table_name,
            protect=s.protect,
            kms_key_arn=s.table_kms_key_arn,
            partition_key=PARTITION_KEY,
            ttl_attribute=None,
            replication=replication,
        ),
        opts=top,
    )
    # What each Idempotency-Key created, forgotten by TTL; kept, encrypted and protected as
    # the data is: a lost record lets a retry create a second item.
    idempotency_table = Table(
        f"{s.name}-idempotency",
        TableArgs(
            table_name=s.idempotency_table_name,
            protect=s.protect,
            kms_key_arn=s.table_kms_key_arn,
            partition_key=IDEMPOTENCY_PARTITION_KEY,
            ttl_attribute=IDEMPOTENCY_EXPIRES_AT,
            replication=replication,
        ),
        opts=top,
    )
    return ClusterTable(table.name, table.arn), ClusterTable(
        idempotency_table.name, idempotency_table.arn
    )


def replica_tables(
    s: ClusterSettings, replicas: ReplicaTables
) -> tuple[ClusterTable, ClusterTable]:
    """The replicas in this cluster's region of the first region's tables."""
    return (
        ClusterTable(pulumi.Output.from_input(s.table_name), replicas.table_arn),
        ClusterTable(
            pulumi.Output.from_input(s.idempotency_table_name), replicas.idempotency_table_arn
        ),
    )
