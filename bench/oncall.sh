#!/usr/bin/env bash
# alertform plan against the Grafana OnCall emulation (`serve --api grafana_oncall`) beside
# Terraform's refresh pattern (one GET per object by id, 10 in flight) for the same objects.
# Prints Markdown table rows. Installs hyperfine and GNU time if missing.
#   bench/oncall.sh [N …]        (default: 10000; RUNS=5, LATENCY=20)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000)
runs=${RUNS:-5}
latency=${LATENCY:-20}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null; }; }
need hyperfine hyperfine
need /usr/bin/time time
cargo build --release --locked --quiet
bin=$PWD/target/release/alertform
work=$(mktemp -d)
server=""
stop() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap 'stop; rm -rf "$work"' EXIT

serve() { # serve DATA LATENCY SEED
  stop
  "$bin" serve --api grafana_oncall --listen 127.0.0.1:0 --data "$1" --owner-token bench-token \
    --latency "$2" --seed "$3" 2> "$work/serve.log" &
  server=$!
  until grep -q "listening on" "$work/serve.log" 2>/dev/null; do sleep 0.05; done
  ALERTFORM_ENDPOINT=$(sed -n 's/^listening on //p' "$work/serve.log")
  export ALERTFORM_ENDPOINT ALERTFORM_TOKEN=bench-token ALERTFORM_PROVIDER=grafana_oncall
}
median() { # median COMMAND [RUNS]
  local n=${2:-$runs}
  hyperfine --runs "$n" --warmup 1 --export-json "$work/h.json" -N "$1" >/dev/null 2>&1
  python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$work/h.json"
}
rss() { /usr/bin/time -f "%M" -o "$work/rss" "$@" >/dev/null 2>&1 || true; echo "$(( $(tail -n1 "$work/rss") / 1024 ))"; }
requests() { curl -s "$ALERTFORM_ENDPOINT/metrics" | awk '/^alertform_http_requests_total/ && /route="\/api\/v1/ {s += $NF} END {print s+0}'; }
count() { curl -s -H "Authorization: bench-token" "$ALERTFORM_ENDPOINT/api/v1/$1/?perpage=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }

echo "| objects | figure | latency | median | requests | peak RSS |"
echo "| ---: | --- | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  config=$work/config-$n
  "$bin" dev generate --objects "$n" --provider grafana_oncall --out "$config" 2>/dev/null
  seed=$config/grafana-oncall-seed.json
  serve "$work/data-$n" 0 "$seed"
  start=$(date +%s.%N); "$bin" apply "$config" --auto-approve >/dev/null; end=$(date +%s.%N)
  echo "| $n | apply, all creates (1 run) | 0 ms | $(echo "$end - $start" | bc -l | xargs printf '%.2f')s | $(requests) | – |"
  echo "<!-- live: $(count users) users, $(count teams) teams, $(count escalation_chains) chains, $(count escalation_policies) steps, $(count integrations) integrations -->"
  serve "$work/data-$n" "$latency" "$seed"
  before=$(requests); plan=$(median "$bin plan $config --detailed-exitcode")
  echo "| $n | no-op plan | $latency ms | ${plan}s | $(( ($(requests) - before) / (runs + 1) )) | $(rss "$bin" plan "$config") MiB |"
  "$bin" dev baseline --mode terraform > "$work/tf.txt"
  tf=$(sed -n 's/.*, \([0-9.]*\) s$/\1/p' "$work/tf.txt")
  tf_requests=$(sed -n 's/^baseline terraform: \([0-9]*\) requests.*/\1/p' "$work/tf.txt")
  echo "| $n | Terraform refresh pattern (10 in flight, 1 run) | $latency ms | ${tf}s | $tf_requests | – |"
done
