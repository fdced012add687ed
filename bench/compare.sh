#!/usr/bin/env bash
# alertform plan side by side with Terraform's refresh pattern (one GET per object, 10 in flight)
# and with the raw page fetch, on the same local `alertform serve`, at --latency 0 and 20 ms.
# Prints Markdown table rows. Installs hyperfine and GNU time if missing.
#   bench/compare.sh [N …]        (default: 1000 10000; RUNS=5)
# BASELINE_RUNS (default RUNS) sets the runs of the Terraform pattern alone: at 100,000 objects
# and 20 ms one run takes about 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
runs=${RUNS:-5}
baseline_runs=${BASELINE_RUNS:-$runs}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need /usr/bin/time time
cargo build --release --locked --quiet
bin=$PWD/target/release/alertform
work=$(mktemp -d)
server=""
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap 'stop; rm -rf "$work"' EXIT

serve() { # serve DATA LATENCY: starts the service, exports its endpoint
  stop
  "$bin" serve --listen 127.0.0.1:0 --data "$1" --owner-token bench-token --latency "$2" 2> "$work/serve.log" &
  server=$!
  until grep -q "listening on" "$work/serve.log" 2>/dev/null; do sleep 0.05; done
  ALERTFORM_ENDPOINT=$(sed -n 's/^listening on //p' "$work/serve.log")
  export ALERTFORM_ENDPOINT ALERTFORM_TOKEN=bench-token
}
median() { # median COMMAND [RUNS]: hyperfine median in seconds (one warm-up unless RUNS is 1)
  local n=${2:-$runs} warmup=1
  [ "$n" -gt 1 ] || warmup=0
  hyperfine --runs "$n" --warmup "$warmup" --export-json "$work/h.json" -N "$1" >/dev/null 2>&1 || hyperfine --runs "$n" --export-json "$work/h.json" "$1" >/dev/null
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
}
rss() { /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || true; echo "$(( $(tail -n1 "$work/rss") / 1024 ))"; }
requests() { curl -s "$ALERTFORM_ENDPOINT/metrics" | awk '/^alertform_http_requests_total/ && /route="\/api\/v1/ {s += $NF} END {print s+0}'; }

echo "| objects | figure | latency | median | requests | peak RSS |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  config=$work/config-$n
  "$bin" dev generate --objects "$n" --out "$config" 2>/dev/null
  echo "| $n | validate | – | $(median "$bin validate $config")s | 0 | $(rss "$bin" validate "$config") MiB |"

  serve "$work/empty-$n" 0
  before=$(requests); t=$(median "$bin plan $config")
  echo "| $n | plan, empty service (all creates) | 0 ms | ${t}s | $(( ($(requests) - before) / (runs + 1) )) | $(rss "$bin" plan "$config") MiB |"

  serve "$work/data-$n" 0
  start=$(date +%s.%N); "$bin" apply "$config" --auto-approve >/dev/null; end=$(date +%s.%N)
  echo "| $n | apply, all creates (1 run) | 0 ms | $(echo "$end - $start" | bc -l | xargs printf '%.2f')s | $(requests) | – |"
  for latency in 0 20; do
    serve "$work/data-$n" "$latency"
    before=$(requests); plan=$(median "$bin plan $config --detailed-exitcode")
    echo "| $n | no-op plan | $latency ms | ${plan}s | $(( ($(requests) - before) / (runs + 1) )) | $(rss "$bin" plan "$config") MiB |"
    before=$(requests); tf=$(median "$bin dev baseline --mode terraform" "$baseline_runs")
    calls=$(( baseline_runs > 1 ? baseline_runs + 1 : 1 ))
    echo "| $n | Terraform refresh pattern (GET per object, 10 in flight; $baseline_runs runs) | $latency ms | ${tf}s | $(( ($(requests) - before) / calls )) | – |"
    before=$(requests); raw=$(median "$bin dev baseline --mode raw")
    echo "| $n | raw page fetch, full concurrency | $latency ms | ${raw}s | $(( ($(requests) - before) / (runs + 1) )) | – |"
    echo "| $n | ratio plan / Terraform pattern | $latency ms | $(echo "$plan / $tf" | bc -l | xargs printf '%.3f') | | |"
    echo "| $n | ratio plan / raw fetch | $latency ms | $(echo "$plan / $raw" | bc -l | xargs printf '%.2f') | | |"
  done
done
