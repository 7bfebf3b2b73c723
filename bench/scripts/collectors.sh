#!/usr/bin/env bash
# Which collector and heap for the appliance (docs/decisions/0007-collector-and-heap.md): the same
# appliance and list (its index saved by a first start), restarted once per JVM option set, each alone on CPU 1 (the load generator and
# the upstream on CPU 0). Per option set: start to the first blocked answer; resident memory once
# ready; 200,000 never-seen names (fills the cache); a closed-loop warm-up on the mix; open loop at
# each of RATES on the mix (5% never-seen names); closed loop; resident memory at the end.
#
#   bench/scripts/collectors.sh                         # the option sets below, 1M listed names
#   NAMES=100000 RATES="20000 50000" SECS=15 bench/scripts/collectors.sh "zgc:-XX:+UseZGC -Xmx256m" ...
#
# Each argument is LABEL:JVM OPTIONS. Loopback only; everything started is stopped by PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
names=${NAMES:-1000000} secs=${SECS:-15} rates=${RATES:-"20000 50000"}
if [ $# -eq 0 ]; then
  set -- "default:-XX:+UseZGC -Xms64m -XX:MaxRAMPercentage=50 -XX:ZUncommitDelay=30 -XX:ZCollectionIntervalMajor=60" \
         "zgc-256m:-XX:+UseZGC -Xmx256m" "serial-200m:-XX:+UseSerialGC -Xmx200m" \
         "parallel-200m:-XX:+UseParallelGC -Xmx200m" "g1-200m:-XX:+UseG1GC -Xmx200m"
fi
results="$repo/bench-results/collectors-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$results"

# The upstream: Knot DNS on CPU 0 with every popular name, and a wildcard under nx.bench for the
# never-seen names (each one a real upstream round trip).
zcat "$data/derived/blocked-domains-1m.txt.gz" | awk -v n="$names" '!/^#/ && NF && c++ < n' > "$work/names.txt"
head -n 100000 "$data/derived/top-domains-not-blocked.txt" > "$work/popular.txt"
{
  printf '$TTL 86400\n. SOA ns.bench. admin.bench. 1 7200 900 86400 3600\n. NS ns.bench.\nns.bench. A 127.0.0.1\n'
  printf '*.nx.bench. 300 A 192.0.2.1\n*.nx.bench. 300 AAAA 2001:db8::1\n'
  tr 'A-Z' 'a-z' < "$work/popular.txt" | sort -u |
    awk '/^[a-z0-9._-]+$/ { printf "%s. A 198.51.100.%d\n%s. AAAA 2001:db8::%x\n", $1, NR % 250 + 1, $1, NR }'
} > "$work/root.zone"
knot_port=$(free_port)
printf 'server:\n    listen: 127.0.0.1@%s\n    rundir: %s\ndatabase:\n    storage: %s\nlog:\n  - target: stderr\n    any: warning\nzone:\n  - domain: .\n    file: %s/root.zone\n    journal-content: none\n    zonefile-sync: -1\n' \
  "$knot_port" "$work" "$work" "$work" > "$work/knot.conf"
taskset -c 0 knotd -c "$work/knot.conf" 2>"$work/knot.log" &
pids+=($!)
for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.1 -p "$knot_port" ns.bench 2>/dev/null | grep -qx 127.0.0.1 && break; sleep 0.2; done

"$repo/safenet" import --data-dir "$work/store" --format domains --category scam --source bench "$work/names.txt" >/dev/null
probe=$(tail -n 1 "$work/names.txt")
port=$(free_port)
printf 'server:\n  listen: ["127.0.0.1:%s"]\n  threads: 1\nupstream:\n  servers: ["127.0.0.1:%s"]\nblocklist:\n  blockPageListen: []\nadmin:\n  listen: ["127.0.0.1:0"]\n' \
  "$port" "$knot_port" > "$work/safenet.yaml"
rss() { echo $(( $(awk '/VmRSS/{print $2}' "/proc/$1/status") / 1024 )); }
bench() { taskset -c 0 "$repo/safenet" bench --no-calibrate --quiet --blocked "$work/names.txt" --blocked-limit "$names" \
  --popular "$work/popular.txt" --popular-limit 100000 --unique-zone nx.bench "$@"; }

# One start to save the index beside the store: every option set below then starts as a restart.
"$repo/safenet" serve --config "$work/safenet.yaml" --data-dir "$work/store" 2>"$results/first-start.log" &
first=$!; pids+=("$first")
until dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$probe" 2>/dev/null | grep -qx '[0-9.]*'; do
  kill -0 "$first" || { echo "the appliance exited: see $results/first-start.log" >&2; exit 1; }; sleep 0.1
done
kill "$first"; wait "$first" 2>/dev/null || true

for spec in "$@"; do
  label=${spec%%:*} opts=${spec#*:}
  rm -rf "$work/data"; cp -r "$work/store" "$work/data"
  t0=$(date +%s.%N)
  # The launcher execs the JVM with these options (and its MALLOC_ARENA_MAX=2): the PID is the JVM's.
  SAFENET_JAVA_OPTS="$opts" taskset -c 1 "$repo/safenet" serve --config "$work/safenet.yaml" --data-dir "$work/data" \
    2>"$results/$label.log" &
  pid=$!; pids+=("$pid")
  for _ in $(seq 1200); do
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$probe" 2>/dev/null | grep -qx '[0-9.]*' && break; sleep 0.05
  done
  echo "$label: ready in $(echo "$(date +%s.%N) - $t0" | bc) s, RSS $(rss "$pid") MiB" | tee -a "$results/summary.txt"
  target="$label=127.0.0.1:$port,pid=$pid"
  bench --target "$target" --unique-percent 100 --blocked-percent 0 --queries 200000 --mix-length 200000 --seed 7 \
    --duration 60s --outstanding 100 --out "$results/$label-fill" >/dev/null
  bench --target "$target" --duration 10s --outstanding 200 --mix-length 2000000 --seed 8 --out "$results/$label-warm" >/dev/null
  for rate in $rates; do
    bench --target "$target" --rate "$rate" --duration "${secs}s" --mix-length 2000000 --seed "$rate" \
      --out "$results/$label-$rate" | grep "^| $label" | sed "s/^/rate $rate /" | tee -a "$results/summary.txt"
  done
  bench --target "$target" --duration "${secs}s" --outstanding 200 --mix-length 2000000 --seed 9 \
    --out "$results/$label-closed" | grep "^| $label" | sed "s/^/closed /" | tee -a "$results/summary.txt"
  echo "$label: RSS at the end $(rss "$pid") MiB" | tee -a "$results/summary.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
echo "results: $results"
