"""The service's container image: an ECR repository and the image built from the Dockerfile,
pushed and referenced by digest; or a prebuilt image (CI builds once, every stack deploys it).

Three lifecycle rules shape this module. The build's inputs are the package's own Dockerfile
and folder, named relative to the project folder when the package is in it
(components/sources.py), so every checkout of one commit gives the same resource. The image is
pushed by digest, never under a tag, so a rebuild can never meet an existing immutable tag,
and pushing content that is already there is a no-op. And
``preview`` builds nothing: a pull request's preview needs neither Docker nor the target
platform's emulation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from components.policies import repository_arn_from_image
from components.sources import source_path

#: The package's root and its Dockerfile (components/sources.py).
BUILD_CONTEXT = "."
DOCKERFILE = "Dockerfile"
#: The newest images kept for rollbacks; older ones expire. Images are pushed untagged (by
#: digest), so no rule may expire untagged images by age: the running one is untagged too.
KEEP_IMAGES = 20


class CpuArchitecture(Enum):
    ARM64 = "ARM64"
    X86_64 = "X86_64"

    @property
    def platform(self) -> docker_build.Platform:
        if self is CpuArchitecture.ARM64:
            return docker_build.Platform.LINUX_ARM64
        return docker_build.Platform.LINUX_AMD64


def lifecycle_policy() -> str:
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"keep the newest {KEEP_IMAGES} images",
                    "selection": {
                        "tagStatus": "any",
                        "countType": "imageCountMoreThan",
                        "countNumber": KEEP_IMAGES,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


@dataclass(frozen=True)
class ServiceImageArgs:
    architecture: CpuArchitecture
    #: A prebuilt image by digest; when set nothing is built here.
    image_uri: str | None
    #: Let ``destroy`` delete the repository with its images (stacks that are not protected).
    force_delete: bool


class ServiceImage(pulumi.ComponentResource):
    image_uri: pulumi.Output[str]
    #: Every repository the tasks pull from: the stack's own, and a prebuilt image's.
    repository_arns: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: ServiceImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:ServiceImage", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        # The stack's own repository stays whether or not it builds: setting imageUri on a
        # running stack must not delete the images its earlier task definitions run from.
        repository = aws.ecr.Repository(
            f"{name}-repo",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            image_tag_mutability="IMMUTABLE",
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
            ],
            force_delete=args.force_delete,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(),
            opts=child,
        )
        if args.image_uri is not None:
            prebuilt = args.image_uri
            partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
            self.image_uri = pulumi.Output.from_input(prebuilt)
            self.repository_arns = pulumi.Output.all(repository.arn, partition.partition).apply(
                lambda a: sorted({a[0], repository_arn_from_image(prebuilt, a[1])})
            )
        else:
            token = aws.ecr.get_authorization_token_output(
                registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            image = docker_build.Image(
                f"{name}-image",
                context=docker_build.BuildContextArgs(location=source_path(BUILD_CONTEXT)),
                dockerfile=docker_build.DockerfileArgs(location=source_path(DOCKERFILE)),
                platforms=[args.architecture.platform],
                build_on_preview=False,
                # No tags: the registry export pushes by digest, which is what the task uses.
                push=False,
                exports=[
                    docker_build.ExportArgs(
                        registry=docker_build.ExportRegistryArgs(
                            names=[repository.repository_url], push_by_digest=True
                        )
                    )
                ],
                registries=[
                    docker_build.RegistryArgs(
                        address=repository.repository_url,
                        username=token.user_name,
                        password=token.password,
                    )
                ],
                opts=child,
            )
            self.image_uri = pulumi.Output.concat(repository.repository_url, "@", image.digest)
            self.repository_arns = repository.arn.apply(lambda arn: [arn])
        self.register_outputs(
            {"image_uri": self.image_uri, "repository_arns": self.repository_arns}
        )
