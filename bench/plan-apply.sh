#!/usr/bin/env bash
# Apply of N creates, then RUNS no-op plans, against a local `alertform serve` (release build).
# Prints wall times (median of the plans), HTTP requests and peak RSS.
#   bench/plan-apply.sh [N=10000] [RUNS=5]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}

cargo build --release --locked --quiet
bin=$PWD/target/release/alertform
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time for peak RSS" >&2
  (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1 || true
fi
timed() { # timed OUTFILE CMD… : runs CMD, writes "seconds rss_kb" to OUTFILE
  local out=$1; shift
  local start end
  start=$(date +%s.%N)
  if [ -x /usr/bin/time ]; then /usr/bin/time -f "%M" -o "$out.rss" "$@"; else "$@"; echo 0 > "$out.rss"; fi
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $(tail -n1 "$out.rss")" > "$out"
}

work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$bin" dev generate --objects "$n" --out "$work/config" 2>/dev/null
"$bin" serve --listen 127.0.0.1:0 --data "$work/data" --owner-token bench-token 2> "$work/serve.log" &
server=$!
until grep -q "listening on" "$work/serve.log" 2>/dev/null; do sleep 0.1; done
export ALERTFORM_ENDPOINT; ALERTFORM_ENDPOINT=$(sed -n 's/^listening on //p' "$work/serve.log")
export ALERTFORM_TOKEN=bench-token

timed "$work/apply.t" "$bin" -v apply "$work/config" --auto-approve > "$work/apply.out" 2> "$work/apply.err"
read -r apply_s apply_rss < "$work/apply.t"
apply_requests=$(sed -n 's/.*apply finished requests=\([0-9]*\) retries=\([0-9]*\).*/\1 (retries \2)/p' "$work/apply.err")
summary=$(grep "^Apply complete\|^Apply failed" "$work/apply.out" || true)

times=()
for i in $(seq "$runs"); do
  set +e
  timed "$work/plan.t" "$bin" -v plan "$work/config" --detailed-exitcode > "$work/plan.out" 2> "$work/plan.err"
  code=$?
  set -e
  [ "$code" -eq 0 ] || { echo "no-op plan exited $code" >&2; tail -5 "$work/plan.out" >&2; exit 1; }
  read -r s rss < "$work/plan.t"
  times+=("$s")
done
plan_requests=$(sed -n 's/.*read live state objects=\([0-9]*\) requests=\([0-9]*\).*/\2 for \1 objects/p' "$work/plan.err")
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

echo "objects:             $n (machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB)"
echo "apply (all creates): ${apply_s}s, peak RSS ${apply_rss} KiB, requests ${apply_requests}; ${summary}"
echo "no-op plan:          median ${median}s of ${runs} (all: ${times[*]}), peak RSS ${rss} KiB, requests ${plan_requests}"
