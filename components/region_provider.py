"""The provider of a region after the first: the stack's own AWS provider settings, in that
region.

An explicit provider reads none of the stack's ``aws:`` config, which the default provider
reads: without these, a region after the first would deploy with whatever credentials the
machine has, to whatever account they name, without the stack's tags. Static credentials
(``aws:accessKey``) are not carried: the stack's deploys assume roles (deploy/iam/README.md).
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.settings_reader import python_name

#: The ``aws:`` config keys carried into each region's provider, by how their value is read:
#: where the credentials and the account come from, and how every resource is tagged.
CARRIED: Final = {
    "profile": "text",
    "sharedCredentialsFiles": "object",
    "sharedConfigFiles": "object",
    "assumeRoles": "object",
    "assumeRoleWithWebIdentity": "object",
    "allowedAccountIds": "object",
    "forbiddenAccountIds": "object",
    "defaultTags": "object",
    "ignoreTags": "object",
    "stsRegion": "text",
    "retryMode": "text",
    "maxRetries": "int",
    "customCaBundle": "text",
    "httpProxy": "text",
    "httpsProxy": "text",
    "noProxy": "text",
    "skipCredentialsValidation": "bool",
    "skipRequestingAccountId": "bool",
    "skipMetadataApiCheck": "text",
    "useFipsEndpoint": "bool",
}


def carried(config: pulumi.Config) -> dict[str, Any]:
    """The stack's provider settings that a region's provider takes, by the provider's args."""
    read = {
        "text": config.get,
        "object": config.get_object,
        "int": config.get_int,
        "bool": config.get_bool,
    }
    # An object setting goes to the provider as the JSON it is in the stack's config
    # (``roleArn``), the provider's own spelling of its fields.
    found = {python_name(key): read[kind](key) for key, kind in CARRIED.items()}
    return {key: value for key, value in found.items() if value is not None}


def region_provider(name: str, region: str, parent: pulumi.Resource) -> aws.Provider:
    return aws.Provider(
        name,
        region=region,
        **carried(pulumi.Config("aws")),
        opts=pulumi.ResourceOptions(parent=parent),
    )
