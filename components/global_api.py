"""GlobalApi: one API served from several regions under one domain.

One ApiCluster per region: the first region's on the stack's own provider, owning both tables,
which become DynamoDB global tables with a replica in each other region; each other region's on
an explicit provider of its region, using those replicas. Route 53 answers the domain with the
region of least latency whose health check passes (components/domain_record.py). Each region
keeps its dashboard and alarms; a global view adds the health checks and the replication lag.

The first region's cluster is the stack's cluster of before: it keeps its name, its provider
and, through an alias, its URN, so a stack of one region becomes a stack of two in place, its
tables keeping their data (tests/components/test_transitions.py). Its provider stays the one its
resources were created with, the program's own (which a consumer may set with ``providers``):
the engine diffs a resource whose provider reference changes through the new provider, which is
not how a deployed table should learn that it is global.
"""

from typing import Any, cast

import pulumi
import pulumi_aws as aws

from components.api_cluster import ApiCluster
from components.api_cluster_args import ApiClusterArgs
from components.cluster_settings import ClusterSettings, InvalidSettings
from components.domain_record import LatencyRouting
from components.global_view import GlobalView, GlobalViewArgs
from components.multi_region import RegionSettings
from components.naming import stack_scoped
from components.region_provider import region_provider
from components.region_role import RegionRole, ReplicaTables, in_region, region_code
from components.settings_reader import resolve

GLOBAL_API_TYPE = "picus:index:GlobalApi"
#: The first region's cluster was, in a stack of one region, the stack's own.
_WAS_THE_STACKS = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


class GlobalApi(pulumi.ComponentResource):
    """The picus API in several regions behind one domain: an ApiCluster per region on DynamoDB
    global tables, with Route 53 latency records and health checks."""

    api_url: pulumi.Output[str]
    """Where clients reach the API: https://<domainName>, answered by the nearest healthy
    region."""
    regions: pulumi.Output[dict[str, dict[str, Any]]]
    """Each region's cluster outputs, by region (the stack's output names)."""
    global_dashboard_url: pulumi.Output[str]
    """The dashboard of every region's health check and the replicas' lag."""

    def __init__(
        self, name: str, args: ApiClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        stack = pulumi.get_stack()
        # Checked before anything is registered: bad settings create nothing.
        settings = resolve(name, args, stack)
        super().__init__(GLOBAL_API_TYPE, name, {}, opts)
        regions = settings.regions
        first, *others = regions.regions
        self.home = ApiCluster.in_region(
            name,
            _release_args(args, regions, first),
            RegionRole(None, _latency(_first_region(self, name, first), regions, None)),
            pulumi.ResourceOptions(parent=self).merge(_WAS_THE_STACKS),
        )
        self.clusters = {first: self.home}
        for region in others:
            provider = region_provider(f"{name}-{region_code(region)}", region, self)
            replicas = ReplicaTables(
                in_region(self.home.table_arn, region),
                in_region(self.home.idempotency_table_arn, region),
            )
            self.clusters[region] = ApiCluster.in_region(
                f"{name}-{region_code(region)}",
                _regional_args(args, settings, region),
                RegionRole(replicas, _latency(region, regions, self.home.domain_record)),
                pulumi.ResourceOptions(parent=self, providers={"aws": provider}),
            )
        view = GlobalView(
            f"{name}-global",
            GlobalViewArgs(
                dashboard_name=f"{stack_scoped(name, stack)}-global",
                home_region=first,
                health_check_ids=[
                    (region, cast(pulumi.Output[str], cluster.health_check_id))
                    for region, cluster in self.clusters.items()
                ],
                tables=[
                    ("table", self.home.table_name),
                    ("idempotency", self.home.idempotency_table_name),
                ],
                replica_regions=tuple(others),
                consistency=regions.consistency,
                alarm_actions=self.home.alarm_actions,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.api_url = self.home.api_url
        # A public API has no issuer to name: absent, as from the stack's own outputs.
        absent = {"auth_issuer"} if settings.auth is None else set()
        self.regions = pulumi.Output.all(
            **{region: _outputs(cluster, absent) for region, cluster in self.clusters.items()}
        )
        self.global_dashboard_url = view.url
        self.register_outputs(
            {
                "api_url": self.api_url,
                "regions": self.regions,
                "global_dashboard_url": self.global_dashboard_url,
            }
        )


def _first_region(parent: pulumi.Resource, cluster: str, first: str) -> pulumi.Output[str]:
    """The first region, once known to be the region of the provider its cluster runs on (the
    stack's own): its latency record names it, and its replicas are the others'."""
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    return region.apply(lambda r: _check_first(cluster, first, r))


def _check_first(cluster: str, first: str, region: str) -> str:
    if region != first:
        raise InvalidSettings(
            cluster,
            [
                f"picus:regions begins with {first}, and the stack deploys to {region}: list "
                "the stack's region (aws:region) first (its cluster owns the tables)"
            ],
        )
    return first


def _outputs(cluster: ApiCluster, absent: set[str]) -> pulumi.Output[dict[str, Any]]:
    """A cluster's outputs by their names in the stack (``apiUrl``)."""
    names = {key: to_camel(key) for key in ApiCluster.__annotations__ if key not in absent}
    return pulumi.Output.all(**{names[key]: getattr(cluster, key) for key in names})


def to_camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def _latency(
    region: pulumi.Input[str], regions: RegionSettings, after: aws.route53.Record | None
) -> LatencyRouting:
    return LatencyRouting(
        region, regions.health_check_interval, regions.health_check_failure_threshold, after
    )


def _release_args(args: ApiClusterArgs, regions: RegionSettings, region: str) -> ApiClusterArgs:
    """The args with the release settings this region takes while a release goes region by
    region (``releaseRegion``): a region released already runs the new image, which the release
    holds in canaryImageUri until the last region is done; one not yet reached runs imageUri, as
    before the release."""
    if regions.release_region is None or region == regions.release_region:
        return args
    release: dict[str, Any] = dict(args.get("release") or {})
    done = regions.regions.index(region) < regions.regions.index(regions.release_region)
    new_image = release.get("canary_image_uri") or ""
    release.update(canary_image_uri="", canary_weight=0, handover_count=0)
    regional: dict[str, Any] = {**args, "release": release}
    if done and new_image:
        regional["image_uri"] = new_image
    return cast(ApiClusterArgs, regional)


def _regional_args(args: ApiClusterArgs, first: ClusterSettings, region: str) -> ApiClusterArgs:
    """The first region's args, with this region's certificate and release settings, naming the
    first region's tables (a default name carries the cluster's name, which differs by region)."""
    released = _release_args(args, first.regions, region)
    regional: dict[str, Any] = {**released, "table_name": first.table_name}
    if args.get("certificate_arn"):
        regional["certificate_arn"] = first.regions.certificate_for(region)
    return cast(ApiClusterArgs, regional)
