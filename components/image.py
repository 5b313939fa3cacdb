"""The service's container image: an ECR repository and the image built from the Dockerfile,
pushed and referenced by digest; or a prebuilt image (CI builds once, every stack deploys it)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from components.policies import repository_arn_from_image

ROOT = Path(__file__).resolve().parent.parent

#: Untagged layers go after a day; at most this many images are kept for rollbacks.
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
                    "description": "drop untagged images after a day",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": 1,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
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
    image_uri: str | None = None


class ServiceImage(pulumi.ComponentResource):
    image_uri: pulumi.Output[str]
    repository_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("picus:index:ServiceImage", name, {}, opts)
        if args.image_uri is not None:
            if "@sha256:" not in args.image_uri:
                raise ValueError("imageUri must name an image by digest (…@sha256:…)")
            partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self))
            self.image_uri = pulumi.Output.from_input(args.image_uri)
            self.repository_arn = partition.partition.apply(
                lambda p: repository_arn_from_image(args.image_uri or "", p)
            )
        else:
            child = pulumi.ResourceOptions(parent=self)
            repository = aws.ecr.Repository(
                f"{name}-repo",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                image_tag_mutability="IMMUTABLE",
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy(),
                opts=child,
            )
            token = aws.ecr.get_authorization_token_output(
                registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            image = docker_build.Image(
                f"{name}-image",
                context=docker_build.BuildContextArgs(location=str(ROOT)),
                dockerfile=docker_build.DockerfileArgs(location=str(ROOT / "Dockerfile")),
                platforms=[args.architecture.platform],
                push=True,
                # Immutable tags: each build gets its own, the deployment uses the digest.
                tags=[
                    repository.repository_url.apply(
                        lambda url: f"{url}:{pulumi.get_stack()}-{_stamp()}"
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
            self.repository_arn = repository.arn
        self.register_outputs({"image_uri": self.image_uri, "repository_arn": self.repository_arn})


def _stamp() -> str:
    # The source tree's content decides the tag, so an unchanged tree reuses the pushed image.
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("service/*.py")) + sorted(ROOT.glob("picus/*.py")):
        digest.update(path.read_bytes())
    for name in ("Dockerfile", "lock/service.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]
