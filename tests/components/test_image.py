from __future__ import annotations

import json

from components.image import lifecycle_policy
from tests.components.conftest import Stack, config_of, policy_of


def test_the_image_is_built_for_the_task_architecture_and_used_by_digest(stack: Stack) -> None:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition")
    (container,) = json.loads(task["state"]["containerDefinitions"])
    architecture = task["state"]["runtimePlatform"]["cpuArchitecture"]
    assert architecture == config_of(stack)["picus:cpuArchitecture"]
    if "imageUri" in stack.overrides:
        assert not stack.all("docker-build:index:Image"), "a prebuilt image is not built again"
        assert not stack.all("aws:ecr/repository:Repository")
        assert container["image"] == stack.overrides["imageUri"]
        return
    image = stack.one("docker-build:index:Image")
    platform = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}[architecture]
    assert image["state"]["platforms"] == [platform]
    assert image["state"]["push"] is True
    assert image["state"]["dockerfile"]["location"].endswith("/Dockerfile")
    repository = stack.one("aws:ecr/repository:Repository")
    url, digest = container["image"].split("@")
    assert url == repository["state"]["repositoryUrl"]
    assert digest == image["state"]["digest"]


def test_the_repository(stack: Stack) -> None:
    if "imageUri" in stack.overrides:
        return
    repository = stack.one("aws:ecr/repository:Repository")["state"]
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["imageTagMutability"] == "IMMUTABLE"
    lifecycle = stack.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert lifecycle["state"]["policy"] == lifecycle_policy()
    rules = json.loads(lifecycle_policy())["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "any"}


def test_a_prebuilt_image_is_pulled_from_its_own_repository(stack: Stack) -> None:
    if "imageUri" not in stack.overrides:
        return
    execution = policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", "-execution-policy"))
    pull = next(s for s in execution["Statement"] if s["Sid"] == "PullServiceImage")
    assert pull["Resource"] == "arn:aws:ecr:eu-west-1:210987654321:repository/picus"
