# Shared by the bench scripts (source it after `set -euo pipefail`): sets repo, data, work (a
# temp dir removed at exit) and pids (killed at exit: every process a script starts is stopped
# by its PID); builds both jars one after the other (two launchers building at once race on
# target/); and gives free_port and start_responder.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
data=$(cd "$repo/../shared/data" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$repo/safenet" version >/dev/null
"$repo/safenet" bench --help >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The upstream on CPU 0: the trivial responder, so misses are answered there, not on the Internet.
# Sets up_port.
start_responder() {
  up_port=$(free_port)
  taskset -c 0 "$repo/safenet" bench responder --listen "127.0.0.1:$up_port" >"$work/responder.log" 2>&1 &
  pids+=($!)
}

# Imports $work/list.txt (category scam) into the appliance configured by $work/NAME.yaml, serves it
# on CPU 1 and waits until it listens. Sets jvm_NAME (the JVM's PID, for dnsperf-cpu).
serve_appliance() {
  local name=$1
  "$repo/safenet" import --config "$work/$name.yaml" --format domains --category scam "$work/list.txt" >/dev/null
  taskset -c 1 "$repo/safenet" serve --config "$work/$name.yaml" >"$work/$name.log" 2>&1 &
  local launcher=$!
  pids+=($launcher)
  for _ in $(seq 1 60); do grep -q "listening on" "$work/$name.log" 2>/dev/null && break; sleep 1; done
  eval "jvm_$name=$(pgrep -P "$launcher" java || echo "$launcher")"
}
