#!/usr/bin/env bash
# Blocked-name answers: SafeNet DNS vs Unbound 1.17 with the same list loaded as an RPZ zone.
# The list is the first NAMES names of ../shared/data/derived/blocked-domains-1m.txt.gz, as RPZ
# ("name CNAME ." and "*.name CNAME .", so both answer NXDOMAIN for the name and below it).
# Both pinned to CPU 1, dnsperf on CPU 0 (../shared/tools/dnsperf-cpu); queries are listed names
# and "www." subdomains of them. Prints load time and resident memory of each, then rounds.
# Loopback only; everything it starts is stopped by PID.
#
#   bench/scripts/compare-unbound-blocklist.sh [NAMES=1000000] [SECONDS=15] [ROUNDS=2]
set -euo pipefail
names=${1:-1000000} secs=${2:-15} rounds=${3:-2}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
tool="$shared/tools/dnsperf-cpu"
for c in unbound dnsperf taskset; do
  command -v "$c" >/dev/null || { echo "need $c (apt-get install unbound dnsperf util-linux)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/safenet-bl-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
SAFENET_PORT=5394 UNBOUND_PORT=5395

zcat "$shared/data/derived/blocked-domains-1m.txt.gz" | awk -v n="$names" "!/^#/ && c++ < n" > "$work/names.txt"
{
  echo '$TTL 300'
  echo '$ORIGIN rpz.local.'
  echo '@ SOA localhost. root.localhost. 1 3600 600 86400 300'
  echo '@ NS localhost.'
  awk '{ print $1 " CNAME ."; print "*." $1 " CNAME ." }' "$work/names.txt"
} > "$work/list.rpz"
# Queries: every 50th listed name, alternately as is and under "www.".
awk 'NR % 50 == 0 { print ((NR / 50) % 2 ? "www." $1 : $1), "A" }' "$work/names.txt" > "$work/queries.txt"
echo "# names=$names queries=$(wc -l < "$work/queries.txt") seconds=$secs rounds=$rounds  $(date -u +%FT%TZ)"

# SafeNet DNS: import (timed), then serve with one event loop on CPU 1.
"$repo/safenet" version >/dev/null
t0=$(date +%s.%N)
"$repo/safenet" import --data-dir "$work/safenet" --format rpz --category scam --source bench "$work/list.rpz" | tail -1
t1=$(date +%s.%N)
printf 'server:\n  listen: ["127.0.0.1:%s"]\n  threads: 1\nupstream:\n  servers: ["127.0.0.1:9"]\nblocklist:\n  blockPageListen: []\n' \
  "$SAFENET_PORT" > "$work/safenet.yaml"
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
    forward-addr: 127.0.0.1@9
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
echo "# unbound: start-to-ready $(echo "$t5 - $t3" | bc) s (includes waiting for safenet), RSS $(ps -o rss= -p $unbound_pid) KiB"
for r in $(seq 1 "$rounds"); do
  echo "safenet  round $r: $("$tool" "$safenet_pid" 127.0.0.1 $SAFENET_PORT "$work/queries.txt" "$secs")"
  echo "unbound  round $r: $("$tool" "$unbound_pid" 127.0.0.1 $UNBOUND_PORT "$work/queries.txt" "$secs")"
done
echo "# after: safenet RSS $(ps -o rss= -p $safenet_pid) KiB, unbound RSS $(ps -o rss= -p $unbound_pid) KiB"
