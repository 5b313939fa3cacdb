#!/usr/bin/env bash
# Releases a prebuilt image to one stack (deploy/canary.py: rolling, or through the canary service
# first, each step a `pulumi config set` and `pulumi up --refresh`), then deploy/check.py against
# it: fails unless the service runs the new image with no canary left, ECS completed the rollout on
# the new task definition, CodeDeploy moved the alias to the new version and the walkthrough
# passes on the stack's apiUrl. A canary rolled back on an alarm fails the job here.
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
# Every `up` it runs has --refresh: read what runs before planning. After ECS's circuit breaker
# rolls a deploy back, the state still names the new task definition; without a refresh a rerun
# of the same commit plans nothing and the check fails forever, with one it plans the rollout
# again. A rerun after a job that died mid-canary rolls that canary back first.
.venv/bin/python -m deploy.canary "$stack" "$stack_name" "$image_uri"
pulumi stack output --json --stack "$stack" > "outputs-$stack_name.json"
# The function's new version takes its traffic through CodeDeploy (components/function_release.py);
# the check then follows that shift and the service's deployment to their end.
.venv/bin/python -m deploy.release "outputs-$stack_name.json"
.venv/bin/python -m deploy.check "outputs-$stack_name.json" --image "$image_uri"
