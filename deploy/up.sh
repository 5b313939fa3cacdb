#!/usr/bin/env bash
# CI's release of a prebuilt image to one stack: log in to the state backend, select (or create)
# the stack, then deploy/pipeline.py, the same release `python3 dev.py deploy` runs from a laptop
# (the canary plan of the stack's deploymentStrategy, CodeDeploy's shift of the function's alias,
# then deploy/check.py: the service runs the new image with no canary left, ECS completed the
# rollout, the alias points at the new version and the walkthrough passes on the stack's apiUrl).
# A canary rolled back on an alarm fails the job here.
#
#   deploy/up.sh STACK IMAGE_URI
#
# The state backend: Pulumi Cloud (PULUMI_ACCESS_TOKEN, optionally PULUMI_ORG) or a
# self-managed one (PULUMI_BACKEND_URL, e.g. s3://bucket, with PULUMI_SECRETS_PROVIDER, e.g.
# awskms://alias/picus-pulumi). AWS credentials come from the environment (OIDC in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

stack_name="$1"
image_uri="$2"
stack="${PULUMI_ORG:+$PULUMI_ORG/}$stack_name"

if [[ -n "${PULUMI_BACKEND_URL:-}" ]]; then
    pulumi login "$PULUMI_BACKEND_URL"
else
    pulumi login
fi
secrets=()
if [[ -n "${PULUMI_SECRETS_PROVIDER:-}" ]]; then
    secrets=(--secrets-provider "$PULUMI_SECRETS_PROVIDER")
fi
pulumi stack select --create "$stack" "${secrets[@]}"
# The release itself is the one a deployer runs from a laptop (`python3 dev.py deploy`):
# deploy/pipeline.py. Every `up` it runs has --refresh: read what runs before planning. After
# ECS's circuit breaker rolls a deploy back, the state still names the new task definition;
# without a refresh a rerun of the same commit plans nothing and the check fails forever, with
# one it plans the rollout again. A rerun after a job that died mid-canary rolls that canary
# back first.
.venv/bin/python -m deploy.pipeline --stack "$stack" --image "$image_uri"
