"""How one ApiCluster of a GlobalApi takes part in it: its region, its tables, its record.

The first region's cluster owns both global tables, as a cluster of one region owns its tables;
the others' clusters use the replicas in their region, which share the table's name, and create
no table ("All replicas in a global table share the same table name, primary key schema, and
item data", How DynamoDB global tables work).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

from components.domain_record import LatencyRouting

#: How AWS abbreviates a region's direction in its zone IDs (use1-az1, apse2-az3).
_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def region_code(region: str) -> str:
    """``us-east-1`` as ``use1``, ``ap-southeast-2`` as ``apse2``: short enough for a
    cluster's name, and one code per region."""
    match = re.fullmatch(r"([a-z]{2})(-gov)?-([a-z]+)-(\d+)", region)
    if match is None:
        raise ValueError(f"{region!r} is not an AWS region name")
    area, gov, direction, number = match.groups()
    return f"{area}{'gov' if gov else ''}{_DIRECTIONS.get(direction, direction)}{number}"


def in_region(table_arn: pulumi.Input[str], region: str) -> pulumi.Output[str]:
    """The ARN of a global table's replica in ``region``: the table's, with that region."""

    def replaced(arn: str) -> str:
        parts = arn.split(":")
        parts[3] = region
        return ":".join(parts)

    return pulumi.Output.from_input(table_arn).apply(replaced)


@dataclass(frozen=True)
class ReplicaTables:
    """The replicas a cluster of a region after the first uses."""

    table_arn: pulumi.Output[str]
    idempotency_table_arn: pulumi.Output[str]


@dataclass(frozen=True)
class RegionRole:
    #: None in the first region, whose cluster owns the global tables.
    replica_tables: ReplicaTables | None
    latency: LatencyRouting
