#!/usr/bin/env bash
# Memory per idle DNS-over-TLS and DNS-over-HTTPS connection (issue 16): SafeNet DNS (the
# launcher's defaults) and Unbound 1.17, each on one core with the same certificate; a Python
# client opens N TLS connections (ALPN dot, or h2 for DoH), does nothing on them, and the server's
# resident set is read before and after. The connection limits are raised for the run (SafeNet:
# server.tcpMaxConnections, limits.tcpConnectionsPerClient 0, idle timeout 10 min; Unbound:
# incoming-num-tcp, tcp-idle-timeout). Each server is stopped by its PID.
#
#   CONNECTIONS=10000 bench/scripts/idle-connections.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${CONNECTIONS:-10000}
ulimit -n "$(ulimit -Hn)" # the client and the server each hold N descriptors
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 7 -subj /CN=idle.bench.test >/dev/null 2>&1
cat > "$work/sn.yaml" <<YAML
server:
  listen: ["127.0.0.1:18053"]
  threads: 1
  tcpMaxConnections: $((N + 100))
  tcpIdleTimeout: 600s
  tls: {certificate: "$work/cert.pem", key: "$work/key.pem"}
  dotListen: ["127.0.0.1:18853"]
  dohListen: ["127.0.0.1:18443"]
upstream:
  servers: ["127.0.0.1:9"]
limits:
  tcpConnectionsPerClient: 0
blocklist:
  blockPageListen: []
admin:
  listen: []
YAML
# One interface per Unbound run: Unbound reserves incoming-num-tcp descriptors per interface.
for kind in dot doh; do
  if [ "$kind" = dot ]; then iface="interface: 127.0.0.1@18854"; else iface="interface: 127.0.0.1@18444"; fi
  cat > "$work/unbound-$kind.conf" <<CONF
server:
  $iface
  tls-port: 18854
  https-port: 18444
  tls-service-key: "$work/key.pem"
  tls-service-pem: "$work/cert.pem"
  incoming-num-tcp: $((N + 100))
  outgoing-range: 256
  tcp-idle-timeout: 600000
  http-max-streams: 100
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: ""
  num-threads: 1
CONF
done
cat > "$work/open.py" <<'PY'
import asyncio, ssl, sys
port, n, alpn = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
async def main():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols([alpn])
    gate = asyncio.Semaphore(50)
    conns, failed = [], 0
    async def one():
        nonlocal failed
        async with gate:
            try:
                conns.append(await asyncio.open_connection("127.0.0.1", port, ssl=ctx))
            except OSError:
                failed += 1
    await asyncio.gather(*(one() for _ in range(n)))
    print(f"open {len(conns)} failed {failed}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for _, w in conns:
        w.close()
asyncio.run(main())
PY
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
start() { # server kind
  case "$1" in
    safenet) taskset -c 1 "$repo/safenet" serve --config "$work/sn.yaml" --data-dir "$work/sn" >"$work/sn.log" 2>&1 & pid=$!; dot=18853; doh=18443 ;;
    unbound) taskset -c 1 /usr/sbin/unbound -d -c "$work/unbound-$2.conf" >"$work/ub.log" 2>&1 & pid=$!; dot=18854; doh=18444 ;;
  esac
  # Ready when the port accepts a TLS handshake (for Unbound, only the kind's own port is open).
  if [ "$2" = dot ]; then p=$dot; else p=$doh; fi
  for _ in $(seq 1 300); do
    openssl s_client -connect "127.0.0.1:$p" </dev/null >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "$1 did not accept TLS on $p" >&2; cat "$work"/*.log >&2; exit 1
}
# A fresh server for each kind, so that one kind's freed memory does not hide the other's.
for server in safenet unbound; do
  for kind in dot doh; do
    start "$server" "$kind"
    if [ "$kind" = dot ]; then port=$dot alpn=dot; else port=$doh alpn=h2; fi
    sleep 5
    before=$(rss)
    coproc CLIENT { taskset -c 0 python3 "$work/open.py" "$port" "$N" "$alpn"; }
    read -r line <&"${CLIENT[0]}"
    sleep 10 # let the server settle (collector, lazily freed buffers)
    after=$(rss)
    echo "$server $kind $line rss_before_kib=$before rss_after_kib=$after per_connection_kib=$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN {printf "%.1f", (a - b) / n}')"
    echo >&"${CLIENT[1]}"
    wait "$CLIENT_PID" 2>/dev/null || true
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  done
done
