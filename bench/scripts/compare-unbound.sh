#!/usr/bin/env bash
# Cached-answer comparison: SafeNet DNS vs Unbound, both forwarding to one local Knot DNS that
# serves the first N names of ../shared/data/derived/top-domains.txt, both on one pinned core,
# dnsperf on the other. Prints one dnsperf-cpu line per run (answers per server CPU-second is the
# figure that separates them; see ../shared/STACK.md). Loopback only; every process it starts is
# stopped by PID at the end.
#
#   bench/scripts/compare-unbound.sh [NAMES=10000] [SECONDS=15] [ROUNDS=2]     (env RATE=20000 for the latency rounds)
set -euo pipefail
names=${1:-10000} secs=${2:-15} rounds=${3:-2}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
tool="$shared/tools/dnsperf-cpu"
for c in knotd unbound dnsperf taskset; do
  command -v "$c" >/dev/null || { echo "need $c (apt-get install knot unbound dnsperf util-linux)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/safenet-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

KNOT_PORT=5391 SAFENET_PORT=5392 UNBOUND_PORT=5393

# 1. The authoritative data: a root zone holding one A record per popular name.
head -n "$names" "$shared/data/derived/top-domains.txt" | grep -v '^#' > "$work/names.txt"
{
  echo '$TTL 86400'
  echo '. SOA ns.bench. admin.bench. 1 7200 900 86400 3600'
  echo '. NS ns.bench.'
  echo 'ns.bench. A 127.0.0.1'
  awk '{ printf "%s. A 192.0.2.%d\n", $1, NR % 250 + 1 }' "$work/names.txt"
} > "$work/root.zone"
awk '{ print $1, "A" }' "$work/names.txt" > "$work/queries.txt"
cat > "$work/knot.conf" <<CONF
server:
    listen: 127.0.0.1@$KNOT_PORT
    rundir: $work
database:
    storage: $work
log:
  - target: stderr
    any: warning
zone:
  - domain: .
    file: $work/root.zone
    journal-content: none
    zonefile-sync: -1
CONF
taskset -c 0 knotd -c "$work/knot.conf" 2>"$work/knot.log" & pids+=($!)

# 2. SafeNet DNS: one event loop, pinned to CPU 1.
cat > "$work/safenet.yaml" <<CONF
server:
  listen: ["127.0.0.1:$SAFENET_PORT"]
  threads: 1
upstream:
  servers: ["127.0.0.1:$KNOT_PORT"]
CONF
"$repo/safenet" version >/dev/null   # builds the jar if needed, so the timed process is only the server
# The launcher execs the JVM, so this PID is the server's.
taskset -c 1 "$repo/safenet" serve --config "$work/safenet.yaml" \
  2>"$work/safenet.log" & safenet_pid=$!; pids+=($safenet_pid)

# 3. Unbound 1.17 configured the same way: forwarding everything to Knot, one thread, no validation.
cat > "$work/unbound.conf" <<CONF
server:
    interface: 127.0.0.1@$UNBOUND_PORT
    port: $UNBOUND_PORT
    num-threads: 1
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    directory: "$work"
    pidfile: ""
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    msg-cache-size: 64m
    rrset-cache-size: 128m
    do-not-query-localhost: no
    harden-referral-path: no
    qname-minimisation: no
    prefetch: no
    verbosity: 0
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$KNOT_PORT
CONF
taskset -c 1 unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" & unbound_pid=$!; pids+=($unbound_pid)

wait_for() { for _ in $(seq 1 100); do dig +time=1 +tries=1 @127.0.0.1 -p "$1" ns.bench A >/dev/null 2>&1 && return 0; sleep 0.3; done; echo "port $1 never answered" >&2; exit 1; }
wait_for $KNOT_PORT; wait_for $SAFENET_PORT; wait_for $UNBOUND_PORT

# Warm both caches with every name once (dnsperf-cpu then warms again for 3 s before measuring).
for port in $SAFENET_PORT $UNBOUND_PORT; do
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -n 1 -c 4 -q 200 >/dev/null 2>&1
done

echo "# names=$names seconds=$secs rounds=$rounds  $(date -u +%FT%TZ)  $(nproc) cores"
for r in $(seq 1 "$rounds"); do
  echo "safenet  round $r: $("$tool" "$safenet_pid" 127.0.0.1 $SAFENET_PORT "$work/queries.txt" "$secs")"
  echo "unbound  round $r: $("$tool" "$unbound_pid" 127.0.0.1 $UNBOUND_PORT "$work/queries.txt" "$secs")"
done
# Latency at a fixed rate well below saturation (closed-loop latency at saturation only measures
# queueing). dnsperf -v prints each query's latency; percentiles over all of them.
latency() {
  taskset -c 0 dnsperf -s 127.0.0.1 -p "$1" -d "$work/queries.txt" -l "$secs" -Q "${RATE:-20000}" -c 8 -q 500 -v 2>/dev/null \
    | awk '/^> /{print $NF * 1e6}' | sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "no answers"; exit }
        printf "n=%d p50=%dus p90=%dus p99=%dus p99.9=%dus max=%dus\n", NR, v[int(NR*0.5)+1], v[int(NR*0.9)+1], v[int(NR*0.99)+1], v[int(NR*0.999)+1], v[NR] }'
}
for r in $(seq 1 "$rounds"); do
  echo "safenet  latency @${RATE:-20000}/s round $r: $(latency $SAFENET_PORT)"
  echo "unbound  latency @${RATE:-20000}/s round $r: $(latency $UNBOUND_PORT)"
done
echo "# safenet RSS: $(ps -o rss= -p $safenet_pid) KiB, unbound RSS: $(ps -o rss= -p $unbound_pid) KiB"
rm -rf "$work"
