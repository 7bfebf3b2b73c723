#!/usr/bin/env bash
# One command for the peer comparison: SafeNet DNS, Unbound, PowerDNS Recursor, Knot Resolver
# and dnsdist do the same job (forward to the same local Knot DNS, enforce the same blocklist:
# the listed names and everything below them answered with the sinkhole 192.0.2.80), and the
# load generator (`./safenet bench`) runs the same traffic against each, one at a time.
# Servers are pinned to CPU 1, the generator to CPU 0. Writes the reports under bench-results/
# and, with UPDATE_DOCS=1, replaces the table between the peers markers in docs/benchmarks.md.
#
#   bench/peers/install.sh                      # once, as root
#   bench/peers/compare.sh ["100000 1000000" [SECONDS [ROUNDS]]]   (positional: sizes, seconds, rounds)
#   RATES="20000 50000"   fixed rates of the latency runs     PEERS="safenet unbound pdns kresd dnsdist"
#
# Per size: list load time (process start to the first sinkhole answer; for SafeNet DNS also the
# one-time import into its store), then per target: closed loop on the generated mix (answers/s,
# answers per server CPU-second, resident memory after it), closed loop on ../shared/data's 200k
# query mix, open loop at each of RATES (latency percentiles), dnsperf on the query mix (plain,
# and over DoT and DoH for the servers that serve them), and last
# the miss workload: every query a never-seen name (closed loop; CPU per cache miss). The
# never-seen names are under nx.bench, which Knot answers with a wildcard: a real upstream round
# trip for every peer (a name under .test would be answered locally by Unbound, RFC 6761).
# SafeNet DNS runs with its launcher's defaults and the embedded default cache size (200,000
# entries). Loopback only; everything started is stopped by PID.
set -euo pipefail
sizes=${1:-"100000 1000000"} secs=${2:-15} rounds=${3:-2}
rates=${RATES:-${RATE:-20000 50000}}
peers=${PEERS:-"safenet unbound pdns kresd dnsdist"}
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="$(cd "$repo/../shared" && pwd)"
for c in unbound dnsdist pdns_recursor kresd knotd dig taskset python3 openssl; do
  command -v "$c" >/dev/null || { echo "need $c: run bench/peers/install.sh" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs (generator on 0, server on 1)" >&2; exit 2; }

stamp=$(date -u +%Y%m%d-%H%M%S)
results="$repo/bench-results/peers-$stamp"
work=$(mktemp -d /tmp/safenet-peers.XXXXXX)
mkdir -p "$results"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT

KNOT=5400
declare -A PORT=([safenet]=5401 [unbound]=5402 [pdns]=5403 [kresd]=5404 [dnsdist]=5405)
# DNS over TLS and over HTTPS (the same certificate for every server; PowerDNS Recursor 4.8 serves
# neither, so its columns stay empty).
declare -A DOT=([safenet]=5501 [unbound]=5502 [kresd]=5504 [dnsdist]=5505)
declare -A DOH=([safenet]=5601 [unbound]=5602 [kresd]=5604 [dnsdist]=5605)
SINK=192.0.2.80
POPULAR_LIMIT=100000

"$repo/safenet" version >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/tls-key.pem" \
  -out "$work/tls-cert.pem" -days 7 -subj /CN=peers.bench.test >/dev/null 2>&1
"$repo/safenet" bench --help >/dev/null # builds the load generator if needed

# The authoritative side: every popular name and every name of the query mix has A and AAAA;
# anything else (the never-seen names) is NXDOMAIN. Knot DNS on CPU 0 with the generator.
zcat "$shared/data/derived/query-mix-200k.dnsperf.gz" > "$work/query-mix.txt"
head -n "$POPULAR_LIMIT" "$shared/data/derived/top-domains-not-blocked.txt" > "$work/popular.txt"
{
  echo '$TTL 86400'
  echo '. SOA ns.bench. admin.bench. 1 7200 900 86400 3600'
  echo '. NS ns.bench.'
  echo 'ns.bench. A 127.0.0.1'
  echo '*.nx.bench. 300 A 192.0.2.1'
  echo '*.nx.bench. 300 AAAA 2001:db8::1'
  { awk '{print $1}' "$work/query-mix.txt"; cat "$work/popular.txt"; } | tr 'A-Z' 'a-z' | sed 's/\.$//' | sort -u |
    awk '/^[a-z0-9._-]+$/ { printf "%s. A 198.51.100.%d\n%s. AAAA 2001:db8::%x:%x\n", $1, NR % 250 + 1, $1, int(NR / 65536), NR % 65536 }'
} > "$work/root.zone"
printf 'server:\n    listen: 127.0.0.1@%s\n    rundir: %s\ndatabase:\n    storage: %s\nlog:\n  - target: stderr\n    any: warning\nzone:\n  - domain: .\n    file: %s/root.zone\n    journal-content: none\n    zonefile-sync: -1\n' \
  "$KNOT" "$work" "$work" "$work" > "$work/knot.conf"
taskset -c 0 knotd -c "$work/knot.conf" 2>"$work/knot.log" &
knot_pid=$!
trap 'kill $knot_pid 2>/dev/null || true; wait $knot_pid 2>/dev/null || true; cleanup' EXIT
knot_up=0
for _ in $(seq 150); do
  if dig +short +time=1 +tries=1 @127.0.0.1 -p "$KNOT" ns.bench A | grep -qx 127.0.0.1; then knot_up=1; break; fi
  sleep 0.2
done
[ $knot_up = 1 ] || { echo "Knot DNS did not load the zone:" >&2; grep error "$work/knot.log" | head >&2; exit 1; }

# Seconds from $1 (date +%s.%N) until the server on port $2 answers a listed name with the sinkhole.
wait_blocking() {
  local t0=$1 port=$2 probe=$3 pid=$4
  for _ in $(seq 1800); do
    kill -0 "$pid" 2>/dev/null || { echo "server on port $port exited" >&2; return 1; }
    if dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$probe" A 2>/dev/null | grep -qx "$SINK"; then
      echo "$(date +%s.%N) - $t0" | bc; return 0
    fi
    sleep 0.1
  done
  echo "server on port $port never blocked $probe" >&2; return 1
}

start_safenet() {
  local t0 t1
  t0=$(date +%s.%N)
  "$repo/safenet" import --data-dir "$work/safenet" --format domains --category scam --source bench "$work/names.txt" \
    > "$work/safenet-import.log"
  t1=$(date +%s.%N)
  echo "safenet_import_s=$(echo "$t1 - $t0" | bc)" >> "$work/loadtimes"
  # The embedded default cache (200,000 entries): what a user gets.
  printf 'server:\n  listen: ["127.0.0.1:%s"]\n  threads: 1\n  tls: {certificate: "%s", key: "%s"}\n  dotListen: ["127.0.0.1:%s"]\n  dohListen: ["127.0.0.1:%s"]\nupstream:\n  servers: ["127.0.0.1:%s"]\nblocklist:\n  blockPage: ["%s"]\n  blockPageListen: []\n' \
    "${PORT[safenet]}" "$work/tls-cert.pem" "$work/tls-key.pem" "${DOT[safenet]}" "${DOH[safenet]}" "$KNOT" "$SINK" > "$work/safenet.yaml"
  taskset -c 1 "$repo/safenet" serve --config "$work/safenet.yaml" --data-dir "$work/safenet" 2>"$work/safenet.log" &
}

start_safenet_again() {
  taskset -c 1 "$repo/safenet" serve --config "$work/safenet.yaml" --data-dir "$work/safenet" 2>>"$work/safenet.log" &
}

start_unbound() {
  cat > "$work/unbound.conf" <<CONF
server:
    interface: 127.0.0.1@${PORT[unbound]}
    interface: 127.0.0.1@${DOT[unbound]}
    interface: 127.0.0.1@${DOH[unbound]}
    port: ${PORT[unbound]}
    tls-port: ${DOT[unbound]}
    https-port: ${DOH[unbound]}
    http-endpoint: "/dns-query"
    tls-service-key: "$work/tls-key.pem"
    tls-service-pem: "$work/tls-cert.pem"
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
    msg-cache-size: 128m
    rrset-cache-size: 256m
    verbosity: 0
rpz:
    name: rpz.local
    zonefile: "$work/list.rpz"
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$KNOT
CONF
  taskset -c 1 unbound -d -c "$work/unbound.conf" 2>"$work/unbound.log" &
}

start_pdns() {
  mkdir -p "$work/pdns"
  : > "$work/pdns/recursor.conf"
  echo "rpzFile(\"$work/list.rpz\", {policyName=\"bench\"})" > "$work/pdns/rpz.lua"
  taskset -c 1 pdns_recursor --config-dir="$work/pdns" --socket-dir="$work/pdns" --local-address=127.0.0.1 \
    --local-port="${PORT[pdns]}" --threads=1 --pdns-distributes-queries=no --forward-zones-recurse=.=127.0.0.1:$KNOT \
    --dont-query= --dnssec=off --lua-config-file="$work/pdns/rpz.lua" --daemon=no --disable-syslog --write-pid=no \
    --allow-from=127.0.0.0/8 --max-cache-entries=2000000 --max-packetcache-entries=2000000 --loglevel=3 \
    2>"$work/pdns.log" >&2 &
}

start_kresd() {
  mkdir -p "$work/kresd"
  cat > "$work/kresd/kresd.conf" <<CONF
net.listen('127.0.0.1', ${PORT[kresd]}, { kind = 'dns' })
net.listen('127.0.0.1', ${DOT[kresd]}, { kind = 'tls' })
net.listen('127.0.0.1', ${DOH[kresd]}, { kind = 'doh2' })
net.tls('$work/tls-cert.pem', '$work/tls-key.pem')
trust_anchors.remove('.')
cache.size = 512 * MB
policy.add(policy.rpz(policy.DENY, '$work/list.rpz', false))
policy.add(policy.all(policy.STUB({'127.0.0.1@$KNOT'})))
CONF
  taskset -c 1 kresd -n -q -c "$work/kresd/kresd.conf" "$work/kresd" 2>"$work/kresd.log" &
}

start_dnsdist() {
  cat > "$work/dnsdist.conf" <<CONF
setLocal('127.0.0.1:${PORT[dnsdist]}')
addTLSLocal('127.0.0.1:${DOT[dnsdist]}', '$work/tls-cert.pem', '$work/tls-key.pem')
addDOHLocal('127.0.0.1:${DOH[dnsdist]}', '$work/tls-cert.pem', '$work/tls-key.pem', '/dns-query')
setACL({'127.0.0.0/8'})
newServer({address='127.0.0.1:$KNOT', name='knot'})
getPool(''):setCache(newPacketCache(2000000, {maxTTL=86400}))
blocked = newSuffixMatchNode()
for line in io.lines('$work/names.txt') do blocked:add(line) end
-- A spoofs only A queries; every other type of a listed name gets NODATA, as from the RPZ servers.
addAction(AndRule({SuffixMatchNodeRule(blocked, true), NotRule(QTypeRule(DNSQType.A))}), RCodeAction(DNSRCode.NOERROR))
addAction(SuffixMatchNodeRule(blocked, true), SpoofAction('$SINK'))
CONF
  taskset -c 1 dnsdist --supervised --disable-syslog -C "$work/dnsdist.conf" 2>"$work/dnsdist.log" >&2 &
}

versions() {
  "$repo/safenet" version 2>/dev/null | head -1
  unbound -V | head -1 | sed 's/Version/Unbound/'
  pdns_recursor --version 2>&1 | grep -o 'PowerDNS Recursor [0-9.]*' | head -1
  kresd --version
  dnsdist --version | head -1 | cut -d' ' -f1-2
  knotd --version
}

for size in $sizes; do
  echo "== $size listed names"
  : > "$work/loadtimes"
  zcat "$shared/data/derived/blocked-domains-1m.txt.gz" | awk -v n="$size" '!/^#/ && NF && c++ < n' > "$work/names.txt"
  {
    echo '$TTL 300'
    echo '@ SOA localhost. root.localhost. 1 3600 600 86400 300'
    echo '@ NS localhost.'
    awk -v s="$SINK" '{ print $1 " A " s; print "*." $1 " A " s }' "$work/names.txt"
  } | sed '1a $ORIGIN rpz.local.' > "$work/list.rpz"
  probe=$(tail -n 1 "$work/names.txt")
  targets=()
  for peer in $peers; do
    t0=$(date +%s.%N)
    "start_$peer"
    pid=$!
    pids+=("$pid")
    load=$(wait_blocking "$t0" "${PORT[$peer]}" "$probe" "$pid") || { tail -20 "$work/$peer.log" >&2; exit 1; }
    echo "${peer}_load_s=$load" >> "$work/loadtimes"
    echo "$peer ready in ${load}s (pid $pid)"
    targets+=(--target "$peer=127.0.0.1:${PORT[$peer]},pid=$pid")
  done
  common=(--blocked "$work/names.txt" --blocked-limit "$size" --popular "$work/popular.txt" --popular-limit "$POPULAR_LIMIT"
          --unique-zone nx.bench --expect-blocked "sinkhole:$SINK" --quiet)
  out="$results/$size"
  taskset -c 0 "$repo/safenet" bench "${targets[@]}" "${common[@]}" --warmup 10s --duration "${secs}s" --rounds "$rounds" \
    --outstanding 200 --out "$out/closed-mix" | tail -n +3 | head -n 5 || true
  taskset -c 0 "$repo/safenet" bench "${targets[@]}" "${common[@]}" --query-file "$work/query-mix.txt" --warmup 5s \
    --duration "${secs}s" --rounds "$rounds" --outstanding 200 --no-calibrate --out "$out/closed-querymix" >/dev/null || true
  for rate in $rates; do
    taskset -c 0 "$repo/safenet" bench "${targets[@]}" "${common[@]}" --rate "$rate" --duration "${secs}s" --rounds 1 \
      --mix-length 2000000 --seed "$rate" --no-calibrate --out "$out/open-rate-$rate" >/dev/null || true
  done
  # The same query mix through dnsperf, the tool engineers know: checks the generator's numbers.
  if command -v dnsperf >/dev/null; then
    for peer in $peers; do
      pid=$(for t in "${targets[@]}"; do echo "$t"; done | sed -n "s/^$peer=.*,pid=//p")
      echo "$peer $("$shared/tools/dnsperf-cpu" "$pid" 127.0.0.1 "${PORT[$peer]}" "$work/query-mix.txt" "$secs")" \
        >> "$out/dnsperf.txt"
      # Encrypted: the same mix over DNS over TLS, and over HTTPS (HTTP/2 GET), established
      # connections (8, 100 outstanding each), after a warm-up of each.
      if [ -n "${DOT[$peer]:-}" ]; then
        "$shared/tools/dnsperf-cpu" "$pid" 127.0.0.1 "${DOT[$peer]}" "$work/query-mix.txt" 5 -m dot >/dev/null || true
        echo "$peer $("$shared/tools/dnsperf-cpu" "$pid" 127.0.0.1 "${DOT[$peer]}" "$work/query-mix.txt" "$secs" -m dot)" \
          >> "$out/dnsperf-dot.txt" || true
      fi
      if [ -n "${DOH[$peer]:-}" ]; then
        doh=(-m doh -O "doh-uri=https://127.0.0.1:${DOH[$peer]}/dns-query" -O doh-method=GET)
        "$shared/tools/dnsperf-cpu" "$pid" 127.0.0.1 "${DOH[$peer]}" "$work/query-mix.txt" 5 "${doh[@]}" >/dev/null || true
        echo "$peer $("$shared/tools/dnsperf-cpu" "$pid" 127.0.0.1 "${DOH[$peer]}" "$work/query-mix.txt" "$secs" "${doh[@]}")" \
          >> "$out/dnsperf-doh.txt" || true
      fi
    done
  fi
  # Last, as it fills every cache with names nobody asks again: 100% never-seen names.
  taskset -c 0 "$repo/safenet" bench "${targets[@]}" "${common[@]}" --unique-percent 100 --blocked-percent 0 \
    --mix-length 3000000 --seed 99 --warmup 3s --duration "${secs}s" --rounds 1 --no-calibrate --out "$out/closed-miss" >/dev/null || true
  stop_all
  # A restart with the list already in the store (and its saved index): process start to the
  # first sinkhole answer.
  if [[ " $peers " == *" safenet "* ]]; then
    t0=$(date +%s.%N)
    start_safenet_again
    pid=$!
    pids+=("$pid")
    restart=$(wait_blocking "$t0" "${PORT[safenet]}" "$probe" "$pid") && echo "safenet_restart_s=$restart" >> "$work/loadtimes"
    stop_all
  fi
  cp "$work/loadtimes" "$out/loadtimes"
  # The RocksDB store of this size is not reused by the next size.
  rm -rf "$work/safenet"
done

versions > "$results/versions.txt"
python3 "$repo/bench/peers/table.py" "$results" $rates > "$results/table.md"
cat "$results/table.md"
if [ "${UPDATE_DOCS:-0}" = 1 ]; then
  python3 - "$repo/docs/benchmarks.md" "$results/table.md" <<'PY'
import sys
doc, table = sys.argv[1], open(sys.argv[2]).read()
text = open(doc).read()
begin, end = "<!-- peers:begin -->", "<!-- peers:end -->"
if begin not in text:
    text += "\n" + begin + "\n" + end + "\n"
head, rest = text.split(begin, 1)
_, tail = rest.split(end, 1)
open(doc, "w").write(head + begin + "\n" + table + end + tail)
PY
  echo "updated docs/benchmarks.md"
fi
echo "reports: $results"
