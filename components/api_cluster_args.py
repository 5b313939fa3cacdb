"""What a consumer writes to create an ApiCluster, in any Pulumi language.

Plain TypedDicts, so that Pulumi's component analyzer infers the package's schema from them
(``plugin/``): each attribute's docstring is its description in the schema, and it is the
description the stack's ``Pulumi.yaml`` carries for the same setting, followed by its default
(``tests/components/test_api_cluster_args.py`` holds the two equal). Settings that decide which
resources exist, or that are checked before anything is created, are plain values; the network's
IDs and the ARNs of resources a consumer may create or
look up in its own program (the certificate, hosted zone, web ACL, alarm topic), and the secret
release header, may be outputs; their form is checked where they are known values.

The defaults are ``DEFAULTS``, by the setting's path in the schema (``scaling.minCount``).
"""

from typing import Any, Final, NotRequired, TypedDict

import pulumi

from picus.regions import HEALTH_CHECK_FAILURE_THRESHOLD, HEALTH_CHECK_INTERVAL


class ClusterNetworkArgs(TypedDict):
    """Where the API runs: a VPC of its own, laid out from these settings, or an existing one
    (``vpcId`` with ``publicSubnetIds`` and ``privateSubnetIds``), in which nothing of the network
    is created."""

    vpc_cidr: NotRequired[str]
    """CIDR block of the VPC, cut into one block per zone (at least four, so zones can be added
    up to four without moving a subnet); in each zone the private subnet comes first, then the
    public one. Default: 10.0.0.0/16.
    """
    availability_zones: NotRequired[int]
    """Availability zones to spread subnets over (2..6; an ALB needs two). Default: 2."""
    private_subnet_cidr_mask: NotRequired[int]
    """Prefix length of each zone's private subnet, where the tasks run (/20 is 4091 addresses).
    Default: 20.
    """
    public_subnet_cidr_mask: NotRequired[int]
    """Prefix length of each zone's public subnet, for the ALB and the NAT gateways (at most
    /27). Default: 24.
    """
    nat_gateways: NotRequired[str]
    """NAT strategy: single (one NAT gateway, cheaper) or onePerAz (one per zone, no cross-zone
    dependency). Default: single.
    """

    vpc_id: NotRequired[pulumi.Input[str]]
    """An existing VPC to run in (vpc-...), with publicSubnetIds and privateSubnetIds; then no VPC,
    subnet, NAT gateway or endpoint is created, and the CIDR and NAT settings do not apply. Empty
    is a VPC of its own.
    """
    public_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """The existing VPC's public subnets, in at least two zones, for the load balancer. Default:
    [].
    """
    private_subnet_ids: NotRequired[pulumi.Input[list[str]]]
    """The existing VPC's private subnets, for the tasks; they need a route to ECR, CloudWatch
    Logs and DynamoDB (a NAT gateway or VPC endpoints). Default: [].
    """


class ClusterScalingArgs(TypedDict):
    """How many tasks of the service run, and what autoscaling aims for."""

    desired_count: NotRequired[int]
    """Tasks running at first deployment (at least 2 in prod); autoscaling moves it between
    minCount and maxCount. Default: 1.
    """
    min_count: NotRequired[int]
    """Fewest tasks autoscaling may run. Default: 1."""
    max_count: NotRequired[int]
    """Most tasks autoscaling may run. Default: 4."""
    cpu_target_percent: NotRequired[int]
    """Average CPU utilisation autoscaling aims for. Default: 59."""
    requests_per_target: NotRequired[int]
    """ALB requests per task per minute autoscaling aims for. Default: 4440."""


class ClusterReleaseArgs(TypedDict):
    """How a new image of the service and a new version of the DELETE function take the traffic."""

    deployment_strategy: NotRequired[str]
    """How the deploy job releases a new image of the service: rolling (ECS replaces the tasks,
    100/200 %, circuit breaker and rollback on the deployment alarms); canary, linear or
    blueGreen (a canary service takes the new image and a share of every service rule's
    traffic first, under its own alarms; docs, Releases and rollbacks). Default: rolling.
    """
    bake_time_minutes: NotRequired[int]
    """Minutes the canary holds all of the traffic before it is promoted (linear's last step,
    blueGreen; 0..1440). Default: 10.
    """
    canary_percent: NotRequired[int]
    """Share of the traffic, in %, a canary release gives the new image first (1..99). Default:
    5.
    """
    canary_bake_minutes: NotRequired[int]
    """Minutes a canary release holds that share, watching the canary's alarms, before it is
    promoted (0..1440). Default: 10.
    """
    linear_step_percent: NotRequired[int]
    """Share of the traffic, in %, each step of a linear release adds (1..100). Default: 10."""
    linear_step_bake_minutes: NotRequired[int]
    """Minutes each step of a linear release bakes (0..1440). Default: 6."""
    canary_image_uri: NotRequired[str]
    """The image the canary service runs, by digest, from imageUri's repository; empty is no
    canary (no tasks). Set by the deploy job during a release.
    """
    canary_weight: NotRequired[int]
    """Share, in %, of every service rule's traffic that goes to the canary (0..100; above 0
    needs canaryImageUri). Set by the deploy job during a release. Default: 0.
    """
    handover_count: NotRequired[int]
    """The primary service's least number of tasks while a canary hands its share back to it:
    the deploy job sets it to the canary's running tasks before the share moves, then back to 0
    (0: minCount alone; at most maxCount). Set by the deploy job during a release. Default: 0.
    """
    release_header: NotRequired[pulumi.Input[str]]
    """A secret value (32..128 letters and digits) of the X-Picus-Release header that reaches the
    canary alone, through test rules with the same token and scope checks; needed by canary,
    linear and blueGreen: pulumi config set --secret releaseHeader $(openssl rand -hex 24).
    """
    function_release: NotRequired[str]
    """How a new version of the DELETE function takes the traffic, through CodeDeploy and under
    its alarms: allAtOnce, canary (functionReleasePercent % for functionReleaseMinutes, then
    the rest) or linear (functionReleasePercent % more every functionReleaseMinutes). Default:
    allAtOnce.
    """
    function_release_percent: NotRequired[int]
    """The share of the traffic a canary's new version takes first, or each linear step adds
    (1..99). Default: 10.
    """
    function_release_minutes: NotRequired[int]
    """Minutes a canary holds its share before the rest, or between linear steps; a whole shift
    takes at most 30. Default: 5.
    """


class ClusterAuthArgs(TypedDict):
    """Token verification at the load balancer (JWT, OIDC issuer), then scopes in the service;
    absent, the API is public."""

    issuer: str
    """The token issuer (the iss claim) whose JWTs the load balancer verifies; with authJwksUrl
    it turns auth on (HTTPS only).
    """
    jwks_url: str
    """The issuer's JWKS endpoint (https://...), where the load balancer fetches its public keys.
    """
    claims: NotRequired[str]
    """Further claims every token must carry, as name=value pairs separated by commas
    (aud=https://api.example.com).
    """
    scopes: NotRequired[str]
    """The scope value each operation needs (read for get and list, write for put, delete for
    delete). Default: read=picus:read,write=picus:write,delete=picus:delete.
    """
    scope_claim: NotRequired[str]
    """The token claim that holds the scopes (space-separated, as OAuth's scope). Default: scope.
    """
    array_claims: NotRequired[str]
    """Claims the issuer writes as a JSON array, comma-separated (aud when it lists several
    audiences, Okta's scp); the load balancer then matches them as string-array, the others of
    authClaims as a single string and the scope claim as space-separated words.
    """


class ClusterRegionsArgs(TypedDict):
    """Several regions behind one domain (GlobalApi): one cluster per region on DynamoDB global
    tables, Route 53 latency records with a health check per region."""

    regions: NotRequired[list[str]]
    """The AWS regions the API runs in, the stack's own (aws:region) first; its tables become
    global tables with a replica in each other region. Empty, or the stack's region alone, is a
    stack of one region. Default: [].
    """
    consistency: NotRequired[str]
    """The global tables' consistency mode (eventual or strong), fixed when the tables become
    global; docs/guarantees.md says what each keeps across regions. strong needs exactly three
    regions of one MRSC region set, or two and witnessRegion. Default: eventual.
    """
    witness_region: NotRequired[str]
    """With consistency strong and two regions, the region of DynamoDB's witness, which holds no
    data and serves no requests; empty for none.
    """
    region_certificate_arns: NotRequired[list[str]]
    """With certificateArn, an ACM certificate for domainName in each other region, in any
    order (each ARN names its region). Default: [].
    """
    release_region: NotRequired[str]
    """The region a release is in, one region at a time; the regions before it run
    canaryImageUri as their image, it runs imageUri with its canary, those after it run imageUri
    alone. Empty, every region takes the release settings at once. Set by the deploy job.
    """
    health_check_interval: NotRequired[int]
    """Seconds between Route 53's checks of each region's /health (10 or 30). Default: 10."""
    health_check_failure_threshold: NotRequired[int]
    """Failed checks in a row before a region leaves the domain's answers (1..10). Default:
    3.
    """


class ApiClusterArgs(TypedDict):
    """The settings of one ApiCluster. Every field is optional and has the default it documents;
    the stack's Pulumi.yaml declares the same settings as config keys."""

    network: NotRequired[ClusterNetworkArgs]
    """Where the API runs: a VPC of its own, or an existing one."""
    scaling: NotRequired[ClusterScalingArgs]
    """How many tasks run, and what autoscaling aims for."""
    release: NotRequired[ClusterReleaseArgs]
    """How new images and function versions take the traffic."""
    regions: NotRequired[ClusterRegionsArgs]
    """Several regions behind one domain; absent, the stack's region alone."""
    auth: NotRequired[ClusterAuthArgs]
    """Token verification at the load balancer; absent, the API is public (a production cluster
    then needs publicApi).
    """

    production: NotRequired[bool]
    """A production stack refuses to deploy without HTTPS on its own domain, an alarm recipient,
    protect and at least 2 tasks. Default: false.
    """
    table_name: NotRequired[str]
    """Name of the DynamoDB table (partition key object_id, string); empty is picus_data-<stack>,
    so stacks sharing an account never collide. The Idempotency-Key table is named after it
    (picus_data-<stack> gives picus_idempotency-<stack>, picus_data gives picus_idempotency,
    another name gets -idempotency).
    """
    table_kms_key_arn: NotRequired[str]
    """A customer managed KMS key for the table; empty uses the AWS owned key (no cost, no KMS
    quota on the request path).
    """
    protect: NotRequired[bool]
    """Deletion protection on the table and the load balancer, Pulumi protect on the table, and
    no forced deletion of the image repository or the log bucket; destroy refuses. Default:
    false.
    """
    cpu_architecture: NotRequired[str]
    """CPU architecture of the Fargate tasks (ARM64 or X86_64); the image is built for it.
    Default: ARM64.
    """
    cpu: NotRequired[int]
    """Fargate task CPU units; must form an allowed Fargate combination with memory. Default:
    256.
    """
    memory: NotRequired[int]
    """Fargate task memory in MiB. Default: 512."""
    deregistration_delay: NotRequired[int]
    """Seconds the ALB drains a task before it is stopped (the container's stop timeout is
    longer). Default: 15.
    """
    health_check_grace_period: NotRequired[int]
    """Seconds ECS ignores failing health checks of a new task. Default: 30."""
    log_retention_days: NotRequired[int]
    """Retention of the service's and the function's log groups. Default: 14."""
    traffic_logs: NotRequired[bool]
    """ALB access logs and VPC flow logs, to a private S3 bucket of the stack. Default: false.
    """
    traffic_log_retention_days: NotRequired[int]
    """Days the ALB access logs and VPC flow logs are kept. Default: 30."""
    image_uri: NotRequired[str]
    """A prebuilt service image by digest (account.dkr.ecr.region.amazonaws.com/repo@sha256:...);
    empty builds from the Dockerfile.
    """
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate for HTTPS on 443 (with HTTP redirected); needs domainName; empty serves
    HTTP on 80.
    """
    ssl_policy: NotRequired[str]
    """TLS policy of the HTTPS listener. Default: ELBSecurityPolicy-TLS13-1-2-2021-06."""
    domain_name: NotRequired[str]
    """Custom domain for the API; with hostedZoneId a Route 53 alias record is created, without
    it point the domain at albDnsName yourself.
    """
    hosted_zone_id: NotRequired[pulumi.Input[str]]
    """Route 53 hosted zone of domainName."""
    public_api: NotRequired[bool]
    """A production stack without auth refuses to deploy unless this says, on purpose, that
    anyone may read, write and delete. Default: false.
    """
    cors_origins: NotRequired[list[str]]
    """Browser origins whose pages may call the API (CORS), each exactly as a browser sends it in
    Origin (https://app.example.com; HTTPS, no path, no wildcard); empty, the default, lets no
    page read an answer. Set one with pulumi config set --path 'corsOrigins[0]'
    https://app.example.com. Default: [].
    """
    firewall: NotRequired[bool]
    """A web ACL of the stack's own in front of the ALB (AWS managed common and known-bad-input
    rules, a rate limit per IP); wafWebAclArn wins when set. Default: false.
    """
    firewall_rate_limit: NotRequired[int]
    """Requests one client IP may send in 5 minutes before the firewall blocks it
    (10..2000000000). Default: 2000.
    """
    firewall_count_only: NotRequired[bool]
    """The firewall counts what its rules match and blocks nothing (for a first rollout).
    Default: false.
    """
    waf_web_acl_arn: NotRequired[pulumi.Input[str]]
    """An AWS WAF web ACL (regional) to associate with the ALB, e.g. rate limits or rules that
    require a token; empty for none.
    """
    tracing: NotRequired[bool]
    """X-Ray active tracing of the DELETE function (the service is followed through the trace id
    in its logs). Default: false.
    """
    snap_start: NotRequired[bool]
    """Lambda SnapStart for the DELETE function's published versions (a snapshot of the
    initialised function; a small caching charge per version). Default: true.
    """
    lambda_memory: NotRequired[int]
    """Memory of the DELETE function in MB. Default: 256."""
    lambda_timeout: NotRequired[int]
    """Timeout of the DELETE function in seconds. Default: 10."""
    p99_latency_ms: NotRequired[int]
    """p99 latency of the service, in milliseconds, above which the latency alarm fires. Default:
    1000.
    """
    alarm_email: NotRequired[str]
    """Email address subscribed to a new SNS topic that receives every alarm."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """An existing SNS topic (pager, chat) that receives every alarm; a production stack needs it
    or alarmEmail.
    """


#: Each setting's default, by its path in the schema; ``Pulumi.yaml`` declares the same.
DEFAULTS: Final[dict[str, Any]] = {
    "production": False,
    "tableName": "",
    "tableKmsKeyArn": "",
    "protect": False,
    "network.vpcCidr": "10.0.0.0/16",
    "network.availabilityZones": 2,
    "network.privateSubnetCidrMask": 20,
    "network.publicSubnetCidrMask": 24,
    "network.natGateways": "single",
    "network.vpcId": "",
    "network.publicSubnetIds": [],
    "network.privateSubnetIds": [],
    "cpuArchitecture": "ARM64",
    "cpu": 256,
    "memory": 512,
    "scaling.desiredCount": 1,
    "scaling.minCount": 1,
    "scaling.maxCount": 4,
    "scaling.cpuTargetPercent": 59,
    "scaling.requestsPerTarget": 4440,
    "deregistrationDelay": 15,
    "healthCheckGracePeriod": 30,
    "release.deploymentStrategy": "rolling",
    "release.bakeTimeMinutes": 10,
    "release.canaryPercent": 5,
    "release.canaryBakeMinutes": 10,
    "release.linearStepPercent": 10,
    "release.linearStepBakeMinutes": 6,
    "release.canaryImageUri": "",
    "release.canaryWeight": 0,
    "release.handoverCount": 0,
    "release.releaseHeader": "",
    "logRetentionDays": 14,
    "trafficLogs": False,
    "trafficLogRetentionDays": 30,
    "imageUri": "",
    "certificateArn": "",
    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "domainName": "",
    "hostedZoneId": "",
    "auth.claims": "",
    "auth.scopes": "read=picus:read,write=picus:write,delete=picus:delete",
    "auth.scopeClaim": "scope",
    "auth.arrayClaims": "",
    "publicApi": False,
    "corsOrigins": [],
    "firewall": False,
    "firewallRateLimit": 2000,
    "firewallCountOnly": False,
    "wafWebAclArn": "",
    "tracing": False,
    "snapStart": True,
    "lambdaMemory": 256,
    "lambdaTimeout": 10,
    "release.functionRelease": "allAtOnce",
    "release.functionReleasePercent": 10,
    "release.functionReleaseMinutes": 5,
    "p99LatencyMs": 1000,
    "alarmEmail": "",
    "alarmTopicArn": "",
    "regions.regions": [],
    "regions.consistency": "eventual",
    "regions.witnessRegion": "",
    "regions.regionCertificateArns": [],
    "regions.releaseRegion": "",
    "regions.healthCheckInterval": HEALTH_CHECK_INTERVAL,
    "regions.healthCheckFailureThreshold": HEALTH_CHECK_FAILURE_THRESHOLD,
}

#: The settings an ApiCluster requires when it has their group (``auth``).
REQUIRED: Final = ("auth.issuer", "auth.jwksUrl")


def config_key(path: str) -> str:
    """The stack config key of a setting: its name, without the group (``scaling.minCount`` is
    ``minCount``), but for auth's, which keep theirs (``auth.issuer`` is ``authIssuer``)."""
    group, _, leaf = path.rpartition(".")
    return f"auth{leaf[0].upper()}{leaf[1:]}" if group == "auth" else leaf


#: Every setting's path, by its stack config key.
PATHS: Final = {config_key(path): path for path in (*DEFAULTS, *REQUIRED)}
