#!/usr/bin/env bash
# What dnstap costs on the hot path: two appliances, identical but for `dnstap` (on: every
# client query and response, to a Unix socket read by the dnstap CLI, which writes them to a
# file), the same 100,000-name list, measured one at a time (never concurrently) by the load
# generator's closed loop on the generated mix, by its open loop at RATE queries a second (the
# same load for both), then by dnsperf on the 200k query mix. Both
# appliances on CPU 1 (the dnstap writer thread shares that core with the event loop, as it
# would on a one-core box); generator, upstream responder and collector on CPU 0.
#
#   bench/scripts/dnstap-cost.sh            # DURATION=15s ROUNDS=2 RATE=30000
#
# Results: bench-results/dnstap-cost-<time>/ (the generator's report), dnsperf.txt and the
# tap-on appliance's dnstap counters (written and dropped). Loopback only; every process started
# here is stopped by its PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-30000}
command -v dnstap >/dev/null || { echo "install the dnstap CLI (golang-github-dnstap-golang-dnstap-cli)" >&2; exit 2; }
out="$repo/bench-results/dnstap-cost-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
start_responder

taskset -c 0 dnstap -u "$work/dnstap.sock" -w "$work/collected.dnstap" >"$work/collector.log" 2>&1 &
pids+=($!)

zcat "$data/derived/blocked-domains-1m.txt.gz" | awk "NR <= 100000" >"$work/list.txt"
start_appliance() { # name dnstap-section -> sets port_<name>, jvm_<name>, admin_<name>
  local name=$1 tap=$2 port admin
  port=$(free_port)
  admin=$(free_port)
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
  listen: ["127.0.0.1:$admin"]
$tap
dataDir: $work/$name
YAML
  serve_appliance "$name"
  eval "port_$name=$port"
  eval "admin_$name=$admin"
}
start_appliance on "dnstap:
  socket: $work/dnstap.sock
  messages: [client_query, client_response]"
start_appliance off ""

taskset -c 0 "$repo/safenet" bench \
  --target "dnstap-on=127.0.0.1:$port_on,pid=$jvm_on" --target "dnstap-off=127.0.0.1:$port_off,pid=$jvm_off" \
  --outstanding 200 --duration "$DURATION" --rounds "$ROUNDS" --warmup 10s \
  --blocked-percent 10 --blocked-limit 100000 --expect-blocked sinkhole:192.0.2.80 --out "$out" | tee "$out/summary.txt"

# The same offered load for both (open loop): a closed loop gives the faster target more load,
# hence fuller receive batches and less CPU per answer, which would flatter it.
taskset -c 0 "$repo/safenet" bench \
  --target "dnstap-on=127.0.0.1:$port_on,pid=$jvm_on" --target "dnstap-off=127.0.0.1:$port_off,pid=$jvm_off" \
  --rate "$RATE" --duration "$DURATION" --rounds "$ROUNDS" --warmup 5s \
  --blocked-percent 10 --blocked-limit 100000 --expect-blocked sinkhole:192.0.2.80 --out "$out/fixed-rate" | tee "$out/fixed-rate.txt"

zcat "$data/derived/query-mix-200k.dnsperf.gz" >"$work/mix.txt"
for round in $(seq 1 "$ROUNDS"); do
  for name in on off; do
    port_var=port_$name jvm_var=jvm_$name
    echo "dnsperf round $round dnstap-$name: $("$data/../tools/dnsperf-cpu" "${!jvm_var}" 127.0.0.1 "${!port_var}" "$work/mix.txt" 15)"
  done
done | tee "$out/dnsperf.txt"

curl -s "http://127.0.0.1:$admin_on/metrics" | grep '^safenet_dnstap_messages' | tee "$out/dnstap-counters.txt"
