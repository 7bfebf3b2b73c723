#!/usr/bin/env bash
# Blocked-name answers: SafeNet DNS vs Unbound 1.17 with the same list loaded as an RPZ zone.
# The list is the first NAMES names of ../shared/data/derived/blocked-domains-1m.txt.gz, as RPZ
# ("name CNAME ." and "*.name CNAME .", so both answer NXDOMAIN for the name and below it).
# Both pinned to CPU 1, dnsperf on CPU 0 (../shared/tools/dnsperf-cpu); queries are listed names
# and "www." subdomains of them. Prints load time and resident memory of each, then rounds.
# Loopback only; everything it starts is stopped by PID.
#
#   bench/scripts/compare-unbound-blocklist.sh [NAMES=1000000] [SECONDS=15] [ROUNDS=2]
#   MIX=1 bench/scripts/compare-unbound-blocklist.sh ...   realistic traffic instead: the 200k-query
#       mix of ../shared/data/derived/query-mix-200k.dnsperf.gz (A/AAAA/HTTPS, popular and listed
#       names), unlisted names answered by a local Knot DNS serving A/AAAA for every mix name,
#       both caches warmed with one pass over the mix first.
set -euo pipefail
names=${1:-1000000} secs=${2:-15} rounds=${3:-2}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
tool="$shared/tools/dnsperf-cpu"
for c in unbound dnsperf taskset knotd; do
  command -v "$c" >/dev/null || { echo "need $c (apt-get install unbound dnsperf util-linux)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/safenet-bl-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
SAFENET_PORT=5394 UNBOUND_PORT=5395 KNOT_PORT=5396
UPSTREAM="127.0.0.1:9"

zcat "$shared/data/derived/blocked-domains-1m.txt.gz" | awk -v n="$names" "!/^#/ && c++ < n" > "$work/names.txt"
{
  echo '$TTL 300'
  echo '$ORIGIN rpz.local.'
  echo '@ SOA localhost. root.localhost. 1 3600 600 86400 300'
  echo '@ NS localhost.'
  awk '{ print $1 " CNAME ."; print "*." $1 " CNAME ." }' "$work/names.txt"
} > "$work/list.rpz"
# Queries: every 50th listed name, alternately as is and under "www."; or the realistic mix.
awk 'NR % 50 == 0 { print ((NR / 50) % 2 ? "www." $1 : $1), "A" }' "$work/names.txt" > "$work/queries.txt"
if [ "${MIX:-0}" = 1 ]; then
  zcat "$shared/data/derived/query-mix-200k.dnsperf.gz" > "$work/queries.txt"
  {
    echo '$TTL 86400'
    echo '. SOA ns.bench. admin.bench. 1 7200 900 86400 3600'
    echo '. NS ns.bench.'
    echo 'ns.bench. A 127.0.0.1'
    awk '{print $1}' "$work/queries.txt" | sort -u | awk '{ printf "%s. A 192.0.2.%d\n%s. AAAA 2001:db8::%x:%x\n", $1, NR % 250 + 1, $1, int(NR / 65536), NR % 65536 }'
  } > "$work/root.zone"
  printf 'server:\n    listen: 127.0.0.1@%s\n    rundir: %s\ndatabase:\n    storage: %s\nlog:\n  - target: stderr\n    any: warning\nzone:\n  - domain: .\n    file: %s/root.zone\n    journal-content: none\n    zonefile-sync: -1\n' \
    "$KNOT_PORT" "$work" "$work" "$work" > "$work/knot.conf"
  taskset -c 0 knotd -c "$work/knot.conf" 2>"$work/knot.log" & pids+=($!)
  UPSTREAM="127.0.0.1:$KNOT_PORT"
fi
echo "# names=$names queries=$(wc -l < "$work/queries.txt") seconds=$secs rounds=$rounds  $(date -u +%FT%TZ)"

# SafeNet DNS: import (timed), then serve with one event loop on CPU 1.
"$repo/safenet" version >/dev/null
t0=$(date +%s.%N)
"$repo/safenet" import --data-dir "$work/safenet" --format rpz --category scam --source bench "$work/list.rpz" | tail -1
t1=$(date +%s.%N)
printf 'server:\n  listen: ["127.0.0.1:%s"]\n  threads: 1\nupstream:\n  servers: ["%s"]\nblocklist:\n  blockPageListen: []\n' \
  "$SAFENET_PORT" "$UPSTREAM" > "$work/safenet.yaml"
t2=$(date +%s.%N)
taskset -c 1 "$repo/safenet" serve --config "$work/safenet.yaml" --data-dir "$work/safenet" 2>"$work/safenet.log" &
safenet_pid=$!; pids+=($safenet_pid)

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
    module-config: "respip iterator"
    do-not-query-localhost: no
    verbosity: 0
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: ${UPSTREAM/:/@}
rpz:
    name: rpz.local
    zonefile: "$work/list.rpz"
CONF
t3=$(date +%s.%N)
taskset -c 1 unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" &
unbound_pid=$!; pids+=($unbound_pid)

ready() { for _ in $(seq 1 600); do dig +time=1 +tries=1 @127.0.0.1 -p "$1" "$(head -n 1 "$work/names.txt")" A 2>/dev/null | grep -q NXDOMAIN && return 0; sleep 0.5; done; echo "port $1 never answered" >&2; exit 1; }
ready $SAFENET_PORT; t4=$(date +%s.%N)
ready $UNBOUND_PORT; t5=$(date +%s.%N)
echo "# safenet: import $(echo "$t1 - $t0" | bc) s, start-to-ready $(echo "$t4 - $t2" | bc) s ($(grep -o 'loaded in [0-9]* ms' "$work/safenet.log")), RSS $(ps -o rss= -p $safenet_pid) KiB"
if [ "${MIX:-0}" = 1 ]; then
  for port in $SAFENET_PORT $UNBOUND_PORT; do   # warm both caches with one pass over the mix
    taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -n 1 -c 8 -q 500 2>&1 | grep -E "completed|lost" | tr -s ' ' | paste -sd' ' | sed "s/^/# warm $port:/"
  done
fi
echo "# unbound: start-to-ready $(echo "$t5 - $t3" | bc) s (includes waiting for safenet), RSS $(ps -o rss= -p $unbound_pid) KiB"
for r in $(seq 1 "$rounds"); do
  echo "safenet  round $r: $("$tool" "$safenet_pid" 127.0.0.1 $SAFENET_PORT "$work/queries.txt" "$secs")"
  echo "unbound  round $r: $("$tool" "$unbound_pid" 127.0.0.1 $UNBOUND_PORT "$work/queries.txt" "$secs")"
done
echo "# after: safenet RSS $(ps -o rss= -p $safenet_pid) KiB, unbound RSS $(ps -o rss= -p $unbound_pid) KiB"
