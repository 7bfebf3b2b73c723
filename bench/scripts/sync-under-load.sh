#!/usr/bin/env bash
# Query latency of the appliance at a fixed rate, first without a sync and then while a full sync
# of the real 1.46M-name list runs (a file source whose file is replaced mid-run; the watcher
# starts the sync). Answers whether the appliance keeps answering at full speed while it syncs.
#
#   bench/scripts/sync-under-load.sh            # RATE=10000 DURATION=40s (after a 10 s warm-up)
#
# The appliance runs pinned to CPU 1 (APP_CPUS), the generator and the upstream responder to CPU 0.
# Results: bench-results/sync-under-load-<time>/{baseline,during-sync}/summary.md and the sync's
# log line. Loopback only; every process started here is stopped by its PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-10000}
APP_CPUS=${APP_CPUS:-1}   # APP_CPUS=0,1: the appliance may use both cores (the sync then has one to itself, mostly)
DURATION=${DURATION:-40s}
out="$repo/bench-results/sync-under-load-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
dns_port=$(free_port)
start_responder

grep -v '^#' "$data/vn/hostsvn-threat.domains.txt" >"$work/feed.txt"
cat >"$work/safenet.yaml" <<YAML
server:
  listen: ["127.0.0.1:$dns_port"]
  threads: 1
upstream:
  servers: ["127.0.0.1:$up_port"]
blocklist:
  blockPageListen: []
sync:
  sources:
    - name: feed
      type: file
      path: $work/feed.txt
      category: scam
      rails: {maxAddPercent: 100000}
dataDir: $work/data
YAML
taskset -c "$APP_CPUS" "$repo/safenet" serve --config "$work/safenet.yaml" >"$work/safenet.log" 2>&1 &
app=$!
pids+=($app)
for _ in $(seq 1 120); do
  grep -q "feed file-change\|feed schedule" "$work/safenet.log" 2>/dev/null && break
  sleep 1
done
sleep 2
jvm=$(pgrep -P "$app" java || echo "$app")

run() { # name
  taskset -c 0 "$repo/safenet" bench --target "safenet=127.0.0.1:$dns_port,pid=$jvm" --rate "$RATE" \
    --duration "$DURATION" --warmup 10s --blocked "$data/vn/hostsvn-threat.domains.txt" --out "$out/$1" >"$out/$1.txt" 2>&1
}

run baseline
# During: replace the feed 22 s after the generator starts (its JIT warm-up, calibration and the
# 10 s warm-up run come first), so the sync falls inside the measured 40 s; the watcher starts a full sync of 1.46M names.
( sleep 22; zcat "$data/derived/blocked-domains-1m.txt.gz" >"$work/feed.new" && mv "$work/feed.new" "$work/feed.txt" ) &
run during-sync
# The sync runs at low priority and may outlast the run: wait for its result (at most 5 min).
for _ in $(seq 1 300); do
  grep -q "sync feed file-change" "$work/safenet.log" && break
  sleep 1
done
grep "sync feed" "$work/safenet.log" | tail -2 >"$out/sync.log"
cp "$work/safenet.log" "$out/safenet.log"
echo "== baseline";    grep -A4 "^| target" "$out/baseline/summary.md" || cat "$out/baseline.txt"
echo "== during sync"; grep -A4 "^| target" "$out/during-sync/summary.md" || cat "$out/during-sync.txt"
echo "== the sync";    cat "$out/sync.log"
echo "results in $out"
