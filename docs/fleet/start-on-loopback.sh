#!/usr/bin/env bash
# The three-node deployment of docs/fleet.md, on this machine's loopback addresses: a primary
# (DNS 127.0.0.1:5301, admin 127.0.0.1:8101) that syncs a list and serves it as RPZ zone
# rpz.fleet.example with TSIG and NOTIFY, two followers (5302/8102 and 5303/8103) that take the
# zone by IXFR, one dnstap collector (the dnstap CLI) that all three write to, and one admin
# token valid on all three. Upstream: the load generator's trivial responder on loopback, so
# nothing leaves the machine (UPSTREAM=HOST:PORT to forward elsewhere).
#
#   docs/fleet/start-on-loopback.sh          # runs until Ctrl-C; every process it starts is stopped by PID
#
# Then, in another shell (the script prints the token):
#   dig @127.0.0.1 -p 5303 www.0088shop.com                # blocked on a follower, EDE as on the primary
#   SAFENET_ADMIN_TOKEN=... ./safenet stats --node http://127.0.0.1:8101 \
#       --node http://127.0.0.1:8102 --node http://127.0.0.1:8103      # one fleet-wide report
#   less "$FLEET_DIR/fleet.yaml"                            # every node's queries, as the collector decodes them
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
data=$(cd "$repo/../shared/data" 2>/dev/null && pwd || true)
dir=${FLEET_DIR:-$(mktemp -d /tmp/safenet-fleet.XXXXXX)}
mkdir -p "$dir"
command -v dnstap >/dev/null || { echo "install the dnstap CLI: apt-get install golang-github-dnstap-golang-dnstap-cli" >&2; exit 2; }
pids=()
collector=
cleanup() {
  # SIGTERM for the appliances (a clean stop: each ends its dnstap stream), then SIGINT for the
  # collector (on SIGINT the dnstap CLI closes its file; background jobs ignore SIGINT otherwise).
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "$collector" ] && { kill -INT "$collector" 2>/dev/null || true; wait "$collector" 2>/dev/null || true; }
  echo "state, logs and the collector's fleet.yaml are in $dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$repo/safenet" version >/dev/null # builds the jar once, before three launchers would race to

# The list the primary syncs: a real public list from ../shared/data, or a few names.
list="$dir/national.txt"
if [ -n "$data" ] && [ -f "$data/vn/chongluadao-vn-badsite-filter-domains.txt" ]; then
  cp "$data/vn/chongluadao-vn-badsite-filter-domains.txt" "$list"
else
  printf '0088shop.com\nphish.example\n' >"$list"
fi

upstream=${UPSTREAM:-}
if [ -z "$upstream" ]; then
  "$repo/safenet" bench responder --listen 127.0.0.1:5399 >"$dir/responder.log" 2>&1 &
  pids+=($!)
  upstream=127.0.0.1:5399
fi

secret=$(head -c 32 /dev/urandom | base64)
token=${SAFENET_ADMIN_TOKEN:-fleet-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}
export SAFENET_ADMIN_TOKEN=$token

# YAML, not the binary stream: the Debian CLI (0.4) loses the binary file's last buffer when it stops.
dnstap -u "$dir/dnstap.sock" -y -w "$dir/fleet.yaml" >"$dir/collector.log" 2>&1 &
collector=$!

common() { # node dns-port admin-port
  cat <<YAML
server:
  listen: ["127.0.0.1:$2"]
upstream:
  servers: ["$upstream"]
blocklist:
  blockPageListen: []
admin:
  listen: ["127.0.0.1:$3"]
dnstap:
  socket: $dir/dnstap.sock
  identity: $1
dataDir: $dir/$1
YAML
}

common primary 5301 8101 >"$dir/primary.yaml"
cat >>"$dir/primary.yaml" <<YAML
sync:
  tsigKeys:
    - {name: fleet-key, algorithm: hmac-sha256, secret: "$secret"}
  sources:
    # In production: the national feed (type: national, a signed manifest); see docs/national-feed.md.
    - {name: national, type: file, path: $list, format: domains, category: scam}
distribution:
  enabled: true
  zone: rpz.fleet.example
  tsigKey: fleet-key
  notify: ["127.0.0.1:5302", "127.0.0.1:5303"]
YAML
for n in 1 2; do
  common "follower-$n" "530$((n + 1))" "810$((n + 1))" >"$dir/follower-$n.yaml"
  cat >>"$dir/follower-$n.yaml" <<YAML
sync:
  tsigKeys:
    - {name: fleet-key, algorithm: hmac-sha256, secret: "$secret"}
  sources:
    - {name: fleet, type: rpz, primary: "127.0.0.1:5301", zone: rpz.fleet.example, tsigKey: fleet-key, category: scam}
YAML
done

for node in primary follower-1 follower-2; do
  "$repo/safenet" serve --config "$dir/$node.yaml" >"$dir/$node.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do grep -q "admin API and dashboard on" "$dir/$node.log" 2>/dev/null && break; sleep 1; done
  grep -q "admin API and dashboard on" "$dir/$node.log" || { echo "$node did not start: see $dir/$node.log" >&2; exit 1; }
  echo "$node: DNS $(grep -o 'listening on [^ ]*' "$dir/$node.log" | head -1 | cut -d' ' -f3), log $dir/$node.log"
done
cat <<TEXT

Fleet up. Admin token (valid on all three): $token
  dig @127.0.0.1 -p 5303 www.0088shop.com
  SAFENET_ADMIN_TOKEN=$token $repo/safenet stats --node http://127.0.0.1:8101 --node http://127.0.0.1:8102 --node http://127.0.0.1:8103
  Prometheus: docs/fleet/prometheus.yml scrapes 127.0.0.1:8101-8103
  dnstap log (YAML, all three nodes): $dir/fleet.yaml
Ctrl-C stops everything.
TEXT
wait
