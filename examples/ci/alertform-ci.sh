#!/usr/bin/env bash
# The alertform commands of the CI examples (github-actions.yml, gitlab-ci.yml), in one place:
#   alertform-ci.sh check   validate and lint, as annotations on the changed lines
#   alertform-ci.sh plan    the plan as Markdown (plan.md) and saved (plan.json); exit status in
#                           plan.exitcode: 0 no changes, 2 changes; anything else (1 an error, 64
#                           a command line or ALERTFORM_* setting that cannot be read) fails the job
#   alertform-ci.sh apply   apply the saved plan; it refuses when the config or any live object
#                           changed since the plan was made
# Environment: ALERTFORM_ENDPOINT and ALERTFORM_TOKEN (from the CI's secrets), ALERTFORM_CONFIG
# (the config directory, default `alerting`), ALERTFORM_OUT (where plan files go, default `.`),
# ALERTFORM (the binary, default `alertform`).
set -euo pipefail
bin=${ALERTFORM:-alertform}
config=${ALERTFORM_CONFIG:-alerting}
out=${ALERTFORM_OUT:-.}

case "${1:-}" in
  check)
    "$bin" validate "$config" --format github
    "$bin" lint "$config" --format github
    ;;
  plan)
    set +e
    "$bin" plan "$config" --format markdown --detailed-exitcode --out "$out/plan.json" > "$out/plan.md"
    code=$?
    set -e
    echo "$code" > "$out/plan.exitcode"
    [ "$code" -eq 0 ] || [ "$code" -eq 2 ] || exit "$code"
    ;;
  apply)
    "$bin" apply "$out/plan.json" --auto-approve
    ;;
  *)
    echo "usage: $0 check|plan|apply" >&2
    exit 64
    ;;
esac
