"""A stack's configuration as an ApiCluster's args: one way to fill them, beside a program's own.

Every key is declared with its type, default and description in Pulumi.yaml, flat (``minCount``,
``authIssuer``); the args group them (``scaling.minCount``, ``auth.issuer``,
``components.api_cluster_args.PATHS``). This module only types each key's text as the args
declare it; what the text says is checked where any consumer's args are
(``components.cluster_settings``), and refused with one message naming every key to change.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, cast

from components.api_cluster_args import DEFAULTS, PATHS, REQUIRED, ApiClusterArgs
from components.cluster_settings import ClusterSettings, InvalidSettings, report
from components.deployment import DeploymentSettings
from components.naming import MAX_CLUSTER_NAME, stack_name_problems, stack_prefix, table_name
from components.release_budget import Budget, budget
from components.settings_reader import (
    CLUSTER,
    ArgsReader,
    deployment_of,
    function_release_of,
    place,
    resolve,
)


class ConfigError(Exception):
    """The stack's configuration cannot be deployed; the message names every key to change."""


class ConfigSource(Protocol):
    """What this module needs of ``pulumi.Config``."""

    def get(self, key: str) -> str | None: ...


def cluster_args(config: ConfigSource, stack: str) -> ApiClusterArgs:
    """The args of the stack's ApiCluster: every key the stack sets, typed. A text that is not
    of its key's type stays text, for the args' check to name."""
    args: dict[str, Any] = {}
    for key, path in PATHS.items():
        text = config.get(key)
        if text is None:
            continue
        group, key_in_args = place(path)
        target = args.setdefault(group, {}) if group else args
        target[key_in_args] = _typed(text, DEFAULTS.get(path, ""))
    # The stack's own table name, as every stack has had it: picus_data-<stack>.
    args["table_name"] = table_name(stack, str(args.get("table_name") or ""))
    auth = args.get("auth", {})
    if not any(auth.get(place(path)[1]) for path in REQUIRED):
        # The scope settings have defaults: without an issuer, the stack has no auth.
        args.pop("auth", None)
    return cast(ApiClusterArgs, args)


def cluster_name(stack: str) -> str:
    """The stack's ApiCluster: named as every resource of the stack has been (``picus-dev``)."""
    return stack_prefix(stack)


def load(config: ConfigSource, stack: str) -> ClusterSettings:
    """The stack's settings, checked as an ApiCluster checks its args; ConfigError naming
    each key to change."""
    try:
        settings = resolve(cluster_name(stack), cluster_args(config, stack), stack)
    except InvalidSettings as error:
        problems = error.problems
    else:
        problems = []
    named = stack_name_problems(stack)
    if named:
        # The cluster is named after the stack: its name's problem is the stack name's.
        implied = stack_name_problems(cluster_name(stack), CLUSTER, MAX_CLUSTER_NAME)
        problems = [p for p in problems if p not in implied]
    problems = named + problems
    if problems:
        raise ConfigError(report(f"the stack {stack!r}", problems))
    return settings


def deployment_settings(config: ConfigSource) -> DeploymentSettings:
    """The release settings alone, as the deploy job reads them (deploy/canary.py); ConfigError
    naming each bad key."""
    reader = ArgsReader(cluster_args(config, ""))
    settings = deployment_of(reader)
    if reader.problems:
        raise ConfigError("; ".join(reader.problems))
    return settings


def stack_release_budget(config: ConfigSource) -> Budget:
    """The worst case of one release of the stack (components/release_budget.py)."""
    reader = ArgsReader(cluster_args(config, ""))
    deployment, function = deployment_of(reader), function_release_of(reader)
    if reader.problems:
        raise ConfigError("; ".join(reader.problems))
    return budget(deployment, function)


def _typed(text: str, like: Any) -> Any:
    """``text`` as a value of the type of ``like``, or the text itself if it is not one."""
    if isinstance(like, bool):
        return {"true": True, "false": False}.get(text, text)
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(like, list):
        # Pulumi hands a structured value to the program as its JSON text.
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
