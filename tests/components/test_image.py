from __future__ import annotations

import json

from components.image import BUILD_CONTEXT, DOCKERFILE, lifecycle_policy
from devkit import ROOT
from tests.components.conftest import Stack, policy_of


def test_the_image_is_built_for_the_task_architecture_and_used_by_digest(stack: Stack) -> None:
    task = stack.one("aws:ecs/taskDefinition:TaskDefinition", "-api-task")
    (container,) = json.loads(task["state"]["containerDefinitions"])
    architecture = task["state"]["runtimePlatform"]["cpuArchitecture"]
    assert architecture == stack.setting("cpuArchitecture")
    if stack.setting("imageUri"):
        assert not stack.all("docker-build:index:Image"), "a prebuilt image is not built again"
        # The stack's own repository stays: earlier revisions still pull from it.
        assert stack.one("aws:ecr/repository:Repository")
        assert container["image"] == stack.setting("imageUri")
        return
    image = stack.one("docker-build:index:Image")
    platform = {"ARM64": "linux/arm64", "X86_64": "linux/amd64"}[architecture]
    assert image["state"]["platforms"] == [platform]
    repository = stack.one("aws:ecr/repository:Repository")
    url, digest = container["image"].split("@")
    assert url == repository["state"]["repositoryUrl"]
    assert digest == image["state"]["digest"]


def test_the_build_reads_paths_relative_to_the_project(stack: Stack) -> None:
    # The CLI runs the program from the folder of Pulumi.yaml: a relative context is the same
    # input on every checkout of the commit, an absolute one a change on every other machine.
    for image in stack.all("docker-build:index:Image"):
        assert image["state"]["context"]["location"] == BUILD_CONTEXT == "."
        assert image["state"]["dockerfile"]["location"] == DOCKERFILE
        assert (ROOT / BUILD_CONTEXT / DOCKERFILE).is_file()


def test_nothing_is_ever_pushed_under_a_tag(stack: Stack) -> None:
    # The repository's tags are immutable: a push to an existing tag is rejected, so a rebuild
    # whose digest differs would fail. Pushing by digest never meets a tag, and pushing an
    # image the registry already holds is a no-op.
    for image in stack.all("docker-build:index:Image"):
        state = image["state"]
        assert not state.get("tags"), "tags"
        assert state["push"] is False, "push=True adds a registry export by tag"
        (export,) = state["exports"]
        registry = export["registry"]
        assert registry["pushByDigest"] is True
        repository = stack.one("aws:ecr/repository:Repository")["state"]
        assert registry["names"] == [repository["repositoryUrl"]]


def test_preview_builds_nothing(stack: Stack) -> None:
    # A pull request's preview runs on a runner with no emulation for the tasks' platform.
    for image in stack.all("docker-build:index:Image"):
        assert image["state"]["buildOnPreview"] is False


def test_the_repository(stack: Stack) -> None:
    # In every stack, prebuilt image or not: setting imageUri never deletes it.
    repository = stack.one("aws:ecr/repository:Repository")["state"]
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["imageTagMutability"] == "IMMUTABLE"
    lifecycle = stack.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert lifecycle["state"]["policy"] == lifecycle_policy()


def test_no_lifecycle_rule_expires_the_running_image_by_age() -> None:
    # Images are pushed untagged; a rule that expires untagged images after some days would
    # delete the image the tasks run, and the next task start would fail to pull it.
    for rule in json.loads(lifecycle_policy())["rules"]:
        assert rule["selection"]["countType"] == "imageCountMoreThan"
        assert rule["selection"]["countNumber"] >= 10


def test_a_prebuilt_image_is_pulled_from_its_own_repository(stack: Stack) -> None:
    if not stack.setting("imageUri"):
        return
    execution = policy_of(stack.one("aws:iam/rolePolicy:RolePolicy", "-execution-policy"))
    pull = next(s for s in execution["Statement"] if s["Sid"] == "PullServiceImage")
    own = stack.one("aws:ecr/repository:Repository")["state"]["arn"]
    # The prebuilt image's repository, and the stack's own for the revisions before it.
    assert sorted(pull["Resource"]) == sorted(
        ["arn:aws:ecr:eu-west-1:210987654321:repository/picus", own]
    )
