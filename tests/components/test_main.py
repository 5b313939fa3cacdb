"""The Pulumi program as a whole, under mocks, for every stack."""

from __future__ import annotations

from components import outputs, release_outputs
from tests.components.conftest import STACKS, Stack
from tests.components.harness import COMPUTED

EXPORTS = {
    value
    for module in (outputs, release_outputs)
    for name, value in vars(module).items()
    if name.isupper() and isinstance(value, str)
}
#: Exports whose empty or zero value is an answer: no canary runs.
MAY_BE_EMPTY = {outputs.HTTPS, release_outputs.CANARY_IMAGE_URI, release_outputs.CANARY_WEIGHT}
COMPONENTS = {
    "picus:index:Network",
    "picus:index:Table",
    "picus:index:LoadBalancer",
    "picus:index:FargateService",
    "picus:index:ServiceImage",
    "picus:index:DeleteFunction",
    "picus:index:Alarms",
    "picus:index:Dashboard",
}


def test_every_stack_file_is_run() -> None:
    assert {"dev", "prod"} <= set(STACKS)


def test_exports_are_all_resolved(stack: Stack) -> None:
    auth = bool(stack.setting("authIssuer"))
    assert set(stack.exports) == EXPORTS - (set() if auth else {outputs.AUTH_ISSUER})
    if auth:
        assert stack.exports[outputs.AUTH_ISSUER] == stack.setting("authIssuer")
    for name, value in stack.exports.items():
        if name not in MAY_BE_EMPTY:
            assert value, f"{stack.variant}: export {name} resolved to {value!r}"


def test_the_stack_says_whether_it_serves_https(stack: Stack) -> None:
    # The deploy check opens a plain http apiUrl only when this says false.
    https = stack.exports[outputs.HTTPS]
    assert https is bool(stack.setting("certificateArn")), stack.variant
    scheme = stack.exports[outputs.API_URL].split(":", 1)[0]
    assert scheme == ("https" if https else "http"), stack.variant


def test_the_mocks_compute_only_for_types_the_program_creates(stacks: dict[str, Stack]) -> None:
    # An entry for a type nothing creates is a dead branch of the mocks.
    created = {r["type"] for stack in stacks.values() for r in stack.resources}
    assert set(COMPUTED) <= created, set(COMPUTED) - created


def test_components_compose_and_every_resource_has_a_component_parent(stack: Stack) -> None:
    types = {r["type"] for r in stack.resources}
    assert types >= COMPONENTS
    for resource in stack.resources:
        if resource["custom"]:
            parent = stack.by_urn(resource["parent"])
            assert parent["type"].startswith("picus:index:"), (
                f"{stack.variant}: {resource['type']} {resource['name']} is not inside a component"
            )
            assert resource["name"].startswith(parent["name"]), (
                f"{stack.variant}: {resource['name']} is not named after {parent['name']}"
            )
