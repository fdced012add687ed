#!/usr/bin/env bash
# alertform against the PagerDuty emulation (`serve --api pagerduty`) at PagerDuty's budget of 960
# requests a minute: a no-op plan of an N-object org beside Terraform's refresh pattern for
# PagerDuty (a GET per object by id, users twice, teams' members, each service integration), and
# an apply of about 1,000 creates with its sustained request rate and 429s. Prints Markdown rows.
# Installs hyperfine and GNU time if missing.
#   bench/pagerduty.sh [N]      (default 10000; RUNS=5, LATENCY=20, BUDGET=960, CREATES=1000,
#                                TERRAFORM=1 to time the refresh pattern too: N/960 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${RUNS:-5}
latency=${LATENCY:-20}
budget=${BUDGET:-960}
creates=${CREATES:-1000}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need /usr/bin/time time
cargo build --release --locked --quiet
bin=$PWD/target/release/alertform
work=$(mktemp -d)
server=""
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap 'stop; rm -rf "$work"' EXIT

serve() { # serve DATA LATENCY SEED [RATE]
  stop
  local limit=()
  [ -n "${4:-}" ] && limit=(--rate-limit "$4")
  "$bin" serve --api pagerduty --listen 127.0.0.1:0 --data "$1" --owner-token bench-token \
    --latency "$2" --seed "$3" "${limit[@]}" 2> "$work/serve.log" &
  server=$!
  until grep -q "listening on" "$work/serve.log" 2>/dev/null; do sleep 0.05; done
  ALERTFORM_ENDPOINT=$(sed -n 's/^listening on //p' "$work/serve.log")
  export ALERTFORM_ENDPOINT ALERTFORM_TOKEN=bench-token ALERTFORM_PROVIDER=pagerduty
}
median() { # median COMMAND
  hyperfine --runs "$runs" --warmup 1 --export-json "$work/h.json" -N "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
}
rss() { /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || true; echo "$(( $(tail -n1 "$work/rss") / 1024 ))"; }
# API requests answered (any status), and of those 429s.
requests() { curl -s "$ALERTFORM_ENDPOINT/metrics" | awk '/^alertform_http_requests_total/ && !/route="\/(metrics|healthz)"/ {s += $NF} END {print s+0}'; }
throttled() { curl -s "$ALERTFORM_ENDPOINT/metrics" | awk '/^alertform_http_requests_total/ && /status="429"/ {s += $NF} END {print s+0}'; }
# Minutes until the next wall-clock minute: each measurement starts with a whole budget.
fresh_window() { sleep $(( 61 - $(date +%s) % 60 )); }

echo "| objects | figure | latency, budget | median | requests | peak RSS |"
echo "| ---: | --- | --- | ---: | ---: | ---: |"
config=$work/config-$n
"$bin" dev generate --objects "$n" --provider pagerduty --out "$config" 2>/dev/null
seed=$config/pagerduty-seed.json
from=user0@example.com
serve "$work/data-$n" 0 "$seed"
start=$(date +%s.%N); "$bin" apply "$config" --auto-approve --from-email "$from" >/dev/null; end=$(date +%s.%N)
echo "| $n | setup: apply, all creates (1 run, no limit) | 0 ms, none | $(echo "$end - $start" | bc -l | xargs printf '%.2f')s | $(requests) | – |"
serve "$work/data-$n" "$latency" "$seed" "$budget"
fresh_window
before=$(requests); plan=$(median "$bin plan $config --detailed-exitcode")
echo "| $n | no-op plan | $latency ms, $budget/min | ${plan}s | $(( ($(requests) - before) / (runs + 1) )) | $(rss "$bin" plan "$config") MiB |"
if [ "${TERRAFORM:-0}" = 1 ]; then
  fresh_window
  "$bin" dev baseline --mode terraform > "$work/tf.txt"
  tf=$(sed -n 's/.*, \([0-9.]*\) s$/\1/p' "$work/tf.txt")
  tf_requests=$(sed -n 's/^baseline terraform: \([0-9]*\) requests.*/\1/p' "$work/tf.txt")
  echo "| $n | Terraform refresh pattern (10 in flight, 1 run) | $latency ms, $budget/min | ${tf}s | $tf_requests | – |"
  echo "<!-- 429s so far: $(throttled) -->"
fi

# ~1,000 creates at the budget.
config=$work/creates
"$bin" dev generate --objects "$creates" --provider pagerduty --out "$config" 2>/dev/null
serve "$work/data-creates" "$latency" "$config/pagerduty-seed.json" "$budget"
fresh_window
before=$(requests)
start=$(date +%s.%N); "$bin" apply "$config" --auto-approve --from-email "$from" >/dev/null; end=$(date +%s.%N)
made=$(( $(requests) - before ))
seconds=$(echo "$end - $start" | bc -l)
rate=$(echo "$made * 60 / $seconds" | bc -l | xargs printf '%.0f')
share=$(echo "100 * $rate / $budget" | bc -l | xargs printf '%.0f')
echo "| $creates | apply, all creates (1 run) | $latency ms, $budget/min | $(printf '%.1f' "$seconds")s | $made ($rate/min, ${share} % of the budget; $(throttled) × 429) | – |"
