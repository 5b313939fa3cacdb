#!/usr/bin/env bash
# One open issue per drifting stack, labelled `drift` and titled "Drift in stack STACK": the
# first failed check opens it, each later one comments on it, the first clean one closes it.
# Needs GH_TOKEN (issues: write) and GH_REPO.
#
#   .github/scripts/drift-issue.sh STACK OUTCOME REPORT     (OUTCOME: success or failure)
set -euo pipefail

stack="$1"
outcome="$2"
report="$3"
label=drift
title="Drift in stack $stack"
run_url="${GITHUB_SERVER_URL:-https://github.com}/${GH_REPO}/actions/runs/${GITHUB_RUN_ID:-0}"

# The list endpoint, not search: search is eventually consistent and would open a second issue.
number="$(gh issue list --state open --label "$label" --limit 100 --json number,title \
    --jq "map(select(.title == \"$title\")) | first | .number // empty")"

if [[ "$outcome" == success ]]; then
    if [[ -n "$number" ]]; then
        gh issue close "$number" --comment "No drift in \`$stack\` any more: $run_url"
    fi
    exit 0
fi

body="$(mktemp)"
{
    echo "\`pulumi preview --refresh --expect-no-changes --stack $stack\` failed: $run_url"
    echo
    echo '~~~~'
    # An issue body or comment holds at most 65536 characters.
    tail -c 60000 "$report"
    echo '~~~~'
} > "$body"
if [[ -n "$number" ]]; then
    gh issue comment "$number" --body-file "$body"
else
    gh label create "$label" --color D93F0B --description "The stack differs from its state" --force
    gh issue create --title "$title" --label "$label" --body-file "$body"
fi
