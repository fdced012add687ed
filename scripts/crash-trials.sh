#!/usr/bin/env bash
# kill -9 trials against a vendor's emulation (RELIABILITY.md, issue #27).
#
#   scripts/crash-trials.sh PROVIDER TRIALS [OBJECTS] [SCHEDULES]
#
# Generates an org PROVIDER can hold (`dev generate`), then, TRIALS times, on a fresh emulation
# that fails 5 % of requests before touching data and answers 5 % of writes 503 after committing
# them (`--latency`, from LATENCY, default 20 ms): starts `apply`, `kill -9`s it at a random moment
# inside the first ~80 % of a whole apply, plans (nothing may be deleted or replaced: a delete
# would be an object made twice), applies again (it must succeed with no safety threshold
# lowered) and plans once more (it must be empty). One line per trial.
set -u
P=$1; TRIALS=$2; OBJECTS=${3:-1000}; SCHEDULES=${4:-20}
BIN=${BIN:-target/release/alertform}
WORK=$(mktemp -d)
export ALERTFORM_GENERATED_SECRET=generated
"$BIN" dev generate --provider "$P" --objects "$OBJECTS" --schedules "$SCHEDULES" --out "$WORK/org" -q
SEED=$(ls "$WORK"/org/*seed*.json 2>/dev/null | head -1)
serve() { # DATA: starts the emulation, prints its URL
  local args=(--listen 127.0.0.1:0 --data "$1" --owner-token af_trial_owner_token_0123456789 --latency "${LATENCY:-20}")
  [ "$P" != alertform ] && args+=(--api "$P")
  [ -n "$SEED" ] && args+=(--seed "$SEED")
  "$BIN" serve "${args[@]}" "${@:2}" > "$1/serve.log" 2>&1 &
  echo $! > "$1/serve.pid"
  for _ in $(seq 50); do
    sleep 0.1
    local url; url=$(grep -o 'http://127.0.0.1:[0-9]*' "$1/serve.log" | head -1)
    [ -n "$url" ] && { echo "$url"; return; }
  done
  echo "serve did not start: $(cat "$1/serve.log")" >&2; exit 1
}
flags() { echo --endpoint "$1" --token af_trial_owner_token_0123456789 --provider "$P" --from-email user0@example.com --rate-budget 100000; }
# How long a whole apply takes without faults: the kill window.
D=$(mktemp -d -p "$WORK"); URL=$(serve "$D")
START=$(date +%s.%N); "$BIN" apply "$WORK/org" --auto-approve $(flags "$URL") > "$D/apply.log" 2>&1 || { tail -5 "$D/apply.log"; exit 1; }
WHOLE=$(echo "$(date +%s.%N) - $START" | bc); kill "$(cat "$D/serve.pid")"
echo "$P: $(cat "$WORK"/org/*.toml | grep -cE '^\[(user|group|escalation_policy|integration|schedule|outbound)\.[^].]+\]$') objects; a whole apply takes ${WHOLE}s without faults"
for i in $(seq "$TRIALS"); do
  D=$(mktemp -d -p "$WORK"); URL=$(serve "$D" --fail-rate 0.05 --fail-after-commit-rate 0.05)
  "$BIN" apply "$WORK/org" --auto-approve $(flags "$URL") > "$D/apply.log" 2>&1 &
  A=$!
  T=$(python3 -c "import random; print(round(random.uniform(0.05, 0.8) * $WHOLE, 2))")
  sleep "$T"
  if kill -9 "$A" 2>/dev/null; then K="killed at ${T}s"; else K="FINISHED before ${T}s"; fi
  wait "$A" 2>/dev/null
  "$BIN" plan "$WORK/org" $(flags "$URL") > "$D/plan.txt" 2>&1
  SUMMARY=$(grep -E '^Plan:|^No changes' "$D/plan.txt" | tail -1)
  BAD=$(grep -cE '^  (-|-/\+) ' "$D/plan.txt")
  "$BIN" apply "$WORK/org" --auto-approve $(flags "$URL") > "$D/final.log" 2>&1; RC=$?
  "$BIN" plan "$WORK/org" --detailed-exitcode $(flags "$URL") > "$D/replan.txt" 2>&1; RP=$?
  echo "trial $i: $K | after the kill: $SUMMARY; deletes or replaces: $BAD | last apply exit $RC | re-plan exit $RP"
  kill "$(cat "$D/serve.pid")"; wait 2>/dev/null
done
[ -n "${KEEP:-}" ] && echo "kept: $WORK" || rm -rf "$WORK"
