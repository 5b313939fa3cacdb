#!/usr/bin/env bash
# The config a pull request's preview of STACK runs with, as a pulumi/actions `config-map` in
# $GITHUB_OUTPUT: the image the stack runs now (its imageUri output). The committed stack files
# hold no imageUri (CI sets it at deploy time, in the runner's copy), so without this every
# preview plans an image build, a new task definition and a rollout that the merge would not do.
# A stack without the output (never deployed) previews as its first deploy would run. Reads the
# state only: a stack that does not exist fails here, since only the deploy workflow creates one.
#
#   .github/scripts/running-image.sh STACK
set -euo pipefail

stack="$1"
# The name of the output (components/outputs.py) and of the config key (components/stack_config.py).
key=imageUri

if [[ -n "${PULUMI_BACKEND_URL:-}" ]]; then
    pulumi login "$PULUMI_BACKEND_URL"
else
    pulumi login
fi
outputs="$(pulumi stack output --json --stack "$stack")"
image="$(jq -r --arg key "$key" '.[$key] // empty' <<< "$outputs")"
config=""
if [[ -n "$image" ]]; then
    config="$(jq -cn --arg key "$key" --arg image "$image" '{($key): {value: $image, secret: false}}')"
    echo "previewing $stack with the image it runs: $image"
else
    echo "$stack has no $key output yet: the preview plans an image build"
fi
echo "config-map=$config" >> "$GITHUB_OUTPUT"
