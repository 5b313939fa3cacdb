#!/usr/bin/env bash
# Drift of one stack: `pulumi preview --refresh --expect-no-changes` reads every resource from
# the cloud, compares it with the program, and writes nothing to the state (unlike
# `pulumi refresh --expect-no-changes`, which saves what it read: pulumi/pulumi#10967, #12740).
# The differences go to REPORT and the job summary; the exit status is the preview's, non-zero
# on any difference (or on an error, which the report shows).
#
#   .github/scripts/drift.sh STACK REPORT
set -euo pipefail

stack="$1"
report="$2"

if [[ -n "${PULUMI_BACKEND_URL:-}" ]]; then
    pulumi login "$PULUMI_BACKEND_URL"
else
    pulumi login
fi
# The committed stack files hold no imageUri (a deploy sets it in the runner's copy only):
# compare against the image the stack runs, or every run would report the image as drift.
# `config set` writes this runner's copy of the stack file, never the state.
image="$(pulumi stack output --json --stack "$stack" | jq -r '.imageUri // empty')"
if [[ -n "$image" ]]; then
    pulumi config set imageUri "$image" --stack "$stack"
fi
status=0
pulumi preview --refresh --expect-no-changes --diff --color never --stack "$stack" > "$report" 2>&1 \
    || status=$?
cat "$report"
{
    if ((status == 0)); then
        echo "### No drift in \`$stack\`"
    else
        echo "### Drift in \`$stack\` (or the check failed: see the end of the output)"
    fi
    echo '~~~~'
    # A job summary holds at most 1 MiB; the end of the output carries the summary and any error.
    tail -c 200000 "$report"
    echo '~~~~'
} >> "$GITHUB_STEP_SUMMARY"
exit "$status"
