#!/usr/bin/env bash
# Known vulnerabilities that have a fix, in what the project locks. Fails naming each one; a
# vulnerability without a fix is listed as a warning (nothing to move to yet).
#
#   .github/scripts/audit.sh python    pip-audit on every lock/*.txt and this audit's own lock
#   .github/scripts/audit.sh node      npm audit on package-lock.json
set -euo pipefail
cd "$(dirname "$0")/../.."

fixable="$(mktemp)"
report="$(mktemp)"

case "$1" in
python)
    for lock in lock/*.txt .github/audit/requirements.txt; do
        # Hashed, fully pinned files: pip-audit reads them as they are, with no resolver and no
        # pip. It exits 1 on any finding and on errors alike: the JSON tells them apart.
        pip-audit -r "$lock" --require-hashes --disable-pip --progress-spinner off --format json \
            > "$report" || true
        if ! jq -e 'has("dependencies")' "$report" > /dev/null 2>&1; then
            echo "pip-audit could not audit $lock" >&2
            exit 2
        fi
        jq -r --arg lock "$lock" '.dependencies[] | . as $d | (.vulns // [])[]
            | "\($lock): \($d.name) \($d.version) \(.id)"
              + if (.fix_versions // []) == [] then " (no fix yet)"
                else ", fixed in \(.fix_versions | join(", "))" end' "$report" \
            | while read -r line; do
                if [[ "$line" == *"(no fix yet)" ]]; then echo "::warning::$line"; else echo "$line" >> "$fixable"; fi
            done
    done
    ;;
node)
    # npm exits 1 on any finding and on errors alike: the JSON tells them apart.
    npm audit --package-lock-only --json > "$report" || true
    if ! jq -e 'has("vulnerabilities")' "$report" > /dev/null 2>&1; then
        echo "npm audit could not audit package-lock.json" >&2
        exit 2
    fi
    jq -r '.vulnerabilities | to_entries[]
        | "package-lock.json: \(.key) (\(.value.severity))"
          + if .value.fixAvailable == false then " (no fix yet)" else ", a fix is available" end' \
        "$report" \
        | while read -r line; do
            if [[ "$line" == *"(no fix yet)" ]]; then echo "::warning::$line"; else echo "$line" >> "$fixable"; fi
        done
    ;;
*)
    echo "usage: $0 python|node" >&2
    exit 2
    ;;
esac

if [[ -s "$fixable" ]]; then
    echo "known vulnerabilities with a fix:"
    cat "$fixable"
    exit 1
fi
echo "no known vulnerability with a fix"
