#!/usr/bin/env bash
# DNS over TLS and DNS over HTTPS, SafeNet DNS against Unbound 1.17 (issue 16): answers per server
# CPU-second on established connections (DoH: HTTP/2, GET and POST), both pinned to CPU 1 with one thread, dnsperf (-m dot, 8
# connections, 100 outstanding each) on CPU 0 through ../shared/tools/dnsperf-cpu. The same
# certificate (openssl, EC P-256) and the same policy zone (aggregate/hagezi-fake.rpz: 13,721
# names and their subdomains, CNAME .) for both; the queries are those names, so every answer is
# the policy's NXDOMAIN and no upstream is involved: what is measured is TLS plus each server's
# own answer path. Plain UDP on the same setup is measured too, for the TLS share of the cost.
# TLS handshakes per server CPU-second (new and resumed sessions, openssl s_time) on the DoT port.
# Alternating rounds; each server is stopped by its PID. SAFENET_JAVA_OPTS=-Dsafenet.tls.provider=jdk
# (with the launcher's other defaults) measures the JDK's TLS instead of BoringSSL.
#
#   ROUNDS=3 SECONDS_PER_RUN=15 WARM_SECONDS=10 bench/scripts/encrypted-compare.sh
#   LATENCY_RATE=20000 ...   also p50/p99/p99.9 at that fixed rate (dnsperf -Q, -v) over DoT and DoH
#
# dnsperf does not check certificates; DoH runs over HTTP/2 (dnsperf's only DoH version).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_PER_RUN:-15}
WARM=${WARM_SECONDS:-10}
zone="$repo/../shared/data/aggregate/hagezi-fake.rpz"
cpu="$repo/../shared/tools/dnsperf-cpu"
for c in openssl unbound dnsperf kdig; do
  command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || { echo "missing $c" >&2; exit 2; }
done
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 7 -subj /CN=dot.bench.test >/dev/null 2>&1
awk '$2 == "CNAME" && $1 !~ /^\*/ {print $1 " A"}' "$zone" > "$work/queries.txt"
echo "queries: $(wc -l < "$work/queries.txt") names of $(basename "$zone")"

# SafeNet DNS: the launcher's defaults, the zone imported, DoT on 18853, plain DNS on 18053.
"$repo/safenet" import --data-dir "$work/sn" --format rpz --category scam --source fake "$zone" >/dev/null
cat > "$work/sn.yaml" <<YAML
server:
  listen: ["127.0.0.1:18053"]
  threads: 1
  tls: {certificate: "$work/cert.pem", key: "$work/key.pem"}
  dotListen: ["127.0.0.1:18853"]
  dohListen: ["127.0.0.1:18443"]
upstream:
  servers: ["127.0.0.1:9"]
blocklist:
  blockPageListen: []
admin:
  listen: []
YAML
cat > "$work/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@18054
  interface: 127.0.0.1@18854
  interface: 127.0.0.1@18444
  tls-port: 18854
  https-port: 18444
  http-endpoint: "/dns-query"
  tls-service-key: "$work/key.pem"
  tls-service-pem: "$work/cert.pem"
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  num-threads: 1
  module-config: "respip iterator"
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@9
rpz:
  name: rpz.fake.
  zonefile: "$zone"
CONF

first=$(awk 'NR == 1 {print $1}' "$work/queries.txt")
start() { # name
  case "$1" in
    safenet) taskset -c 1 "$repo/safenet" serve --config "$work/sn.yaml" --data-dir "$work/sn" >"$work/sn.log" 2>&1 & pid=$!; port=18853; plain=18053; https=18443 ;;
    unbound) taskset -c 1 /usr/sbin/unbound -d -c "$work/unbound.conf" >"$work/ub.log" 2>&1 & pid=$!; port=18854; plain=18054; https=18444 ;;
  esac
  for _ in $(seq 1 300); do
    kdig +tls +short +timeout=1 +retry=0 @127.0.0.1 -p "$port" "$first" A 2>/dev/null | grep -q . && return 0
    kdig +tls +timeout=1 +retry=0 @127.0.0.1 -p "$port" "$first" A 2>/dev/null | grep -q NXDOMAIN && return 0
    sleep 0.1
  done
  echo "$1 did not answer over TLS" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
# With LATENCY_RATE set: dnsperf at that fixed rate for SECS seconds (-v: every answer's latency),
# percentiles over the answers; lost queries are counted apart.
latency() { # dnsperf transport arguments...
  local out="$work/latency.txt" lost
  taskset -c 0 dnsperf -s 127.0.0.1 -d "$work/queries.txt" -c 8 -q 200 -Q "$LATENCY_RATE" -l "$SECS" -v "$@" \
    >"$out" 2>/dev/null || true
  lost=$(awk '$1 == ">" && ($2 == "T" || $2 == "I")' "$out" | wc -l)
  awk '$1 == ">" && $2 != "T" && $2 != "I" {print $NF * 1000}' "$out" | sort -n \
    | awk -v lost="$lost" '{v[NR] = $1} END {printf "answers=%d lost=%d p50_ms=%.2f p99_ms=%.2f p99.9_ms=%.2f",
                                              NR, lost, v[int(NR * 0.5)], v[int(NR * 0.99)], v[int(NR * 0.999)]}'
}
# Sequential TLS handshakes by `openssl s_time` on CPU 0 for SECS seconds (-new: full handshakes;
# -reuse: resumed sessions), per server CPU-second.
handshakes() { # mode
  local before after n
  before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  n=$(taskset -c 0 openssl s_time -connect "127.0.0.1:$port" "$1" -time "$SECS" 2>/dev/null \
      | awk '/connections in [0-9]+ real seconds/ {print $1}' | tail -1)
  after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  awk -v n="$n" -v t="$((after - before))" -v s="$SECS" \
      'BEGIN {printf "per_s=%.0f server_cpu_s=%.2f handshakes_per_cpu_s=%.0f", n / s, t / 100, n / (t / 100)}'
}

for round in $(seq 1 "$ROUNDS"); do
  for server in safenet unbound; do
    start "$server"
    # Warm-up, each transport on its own: on one pinned core the JIT's compiler threads share
    # the core with the event loop, and a run right after start measures the compiler too.
    "$cpu" "$pid" 127.0.0.1 "$port" "$work/queries.txt" "$WARM" -m dot >/dev/null
    for method in GET POST; do
      "$cpu" "$pid" 127.0.0.1 "$https" "$work/queries.txt" "$WARM" -m doh -O doh-uri=https://127.0.0.1:$https/dns-query -O doh-method=$method >/dev/null
    done
    echo "round $round $server dot   $("$cpu" "$pid" 127.0.0.1 "$port" "$work/queries.txt" "$SECS" -m dot)"
    for method in GET POST; do
      echo "round $round $server doh-$method $("$cpu" "$pid" 127.0.0.1 "$https" "$work/queries.txt" "$SECS" -m doh -O doh-uri=https://127.0.0.1:$https/dns-query -O doh-method=$method)"
    done
    echo "round $round $server udp   $("$cpu" "$pid" 127.0.0.1 "$plain" "$work/queries.txt" "$SECS")"
    if [ -n "${LATENCY_RATE:-}" ]; then
      echo "round $round $server dot-latency@$LATENCY_RATE $(latency -p "$port" -m dot)"
      echo "round $round $server doh-latency@$LATENCY_RATE $(latency -p "$https" -m doh -O doh-uri=https://127.0.0.1:$https/dns-query)"
    fi
    echo "round $round $server tls-new   $(handshakes -new)"
    echo "round $round $server tls-reuse $(handshakes -reuse)"
    stop
  done
done
