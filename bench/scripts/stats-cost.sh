#!/usr/bin/env bash
# What the statistics cost on the hot path: two appliances, identical but for `stats.enabled`,
# the same 100,000-name list, answered one at a time (never concurrently) by the load generator's
# closed loop on the generated mix (10% blocked: each block updates the category's distinct
# clients and the top blocked names; every query updates distinct and top clients), then by
# dnsperf on the 200k query mix. Both appliances on CPU 1, generator and upstream on CPU 0.
#
#   bench/scripts/stats-cost.sh            # DURATION=15s ROUNDS=2
#
# Results: bench-results/stats-cost-<time>/ (the generator's report) and dnsperf.txt. Loopback
# only; every process started here is stopped by its PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-2}
out="$repo/bench-results/stats-cost-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
start_responder

zcat "$data/derived/blocked-domains-1m.txt.gz" | awk "NR <= 100000" >"$work/list.txt"   # awk reads on: no SIGPIPE under pipefail
start_appliance() { # name enabled -> sets port_<name>, jvm_<name>
  local name=$1 enabled=$2 port
  port=$(free_port)
  cat >"$work/$name.yaml" <<YAML
server:
  listen: ["127.0.0.1:$port"]
  threads: 1
upstream:
  servers: ["127.0.0.1:$up_port"]
blocklist:
  blockPage: ["192.0.2.80"]
  blockPageListen: []
admin:
  listen: []
stats:
  enabled: $enabled
dataDir: $work/$name
YAML
  serve_appliance "$name"
  eval "port_$name=$port"
}
start_appliance on true
start_appliance off false

taskset -c 0 "$repo/safenet" bench \
  --target "stats-on=127.0.0.1:$port_on,pid=$jvm_on" --target "stats-off=127.0.0.1:$port_off,pid=$jvm_off" \
  --outstanding 200 --duration "$DURATION" --rounds "$ROUNDS" --warmup 10s \
  --blocked-percent 10 --blocked-limit 100000 --expect-blocked sinkhole:192.0.2.80 --out "$out" | tee "$out/summary.txt"

zcat "$data/derived/query-mix-200k.dnsperf.gz" >"$work/mix.txt"
for round in $(seq 1 "$ROUNDS"); do
  for name in on off; do
    port_var=port_$name jvm_var=jvm_$name
    echo "dnsperf round $round stats-$name: $("$data/../tools/dnsperf-cpu" "${!jvm_var}" 127.0.0.1 "${!port_var}" "$work/mix.txt" 15)"
  done
done | tee "$out/dnsperf.txt"
