#!/usr/bin/env bash
# Start to first answer (issue 21): how long from starting the appliance's JVM until it answers a
# query, for the development jar on the full JDK ("jdk"), the package's jar on the package's
# runtime ("pkg"), the same with the appliance's dynamic class data sharing archive ("cds", what
# the systemd unit gives from the second start on), and with a JDK 25 AOT cache from a training
# run instead ("aot", -XX:AOTCacheOutput then -XX:AOTCache: for comparison, decision 0010). A one-name list is imported first, so the store exists, as on every start but
# the first; the probe asks for that blocked name every 5 ms from the moment the JVM is started.
# Alternating rounds; each appliance is stopped by its PID with SIGTERM (which also writes the
# archive, or the AOT cache, in the first, unmeasured, runs).
#
#   mvn -B -o package -DskipTests -DskipITs        # builds appliance/target/deb/ (the payload)
#   ROUNDS=7 bench/scripts/first-answer.sh
#   NAMES=1000000 ROUNDS=5 bench/scripts/first-answer.sh   # a restart with 1M listed names in the store
#
# With NAMES, that many names of ../shared/data/derived/blocked-domains-1m.txt.gz are imported
# instead (plus the probe's name), so a start loads its index as a restart of a real appliance does.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=${ROUNDS:-5}
jdk_java=${JDK_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
dev_jar="$repo/appliance/target/safenet.jar"
pkg_java="$repo/appliance/target/deb/runtime/bin/java"
pkg_jar="$repo/appliance/target/deb/safenet.jar"
for f in "$jdk_java" "$dev_jar" "$pkg_java" "$pkg_jar"; do
  [ -e "$f" ] || { echo "missing $f: build the package first (see the header)" >&2; exit 2; }
done
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/safenet.yaml" <<YAML
server:
  listen: ["127.0.0.1:$port"]
dataDir: $work/data
upstream:
  servers: ["127.0.0.1:9"]
blocklist:
  blockPageListen: ["127.0.0.1:0"]
admin:
  listen: ["127.0.0.1:0"]
YAML
echo "first-answer.example" >"$work/list.txt"
if [ -n "${NAMES:-}" ]; then
  zcat "$repo/../shared/data/derived/blocked-domains-1m.txt.gz" | awk -v n="$NAMES" '!/^#/ && NF && c++ < n' >>"$work/list.txt"
fi
opts=(--enable-native-access=ALL-UNNAMED -XX:+UseZGC -Xms64m -XX:MaxRAMPercentage=50 -XX:ZUncommitDelay=30 -XX:ZCollectionIntervalMajor=60)
"$pkg_java" "${opts[@]}" -jar "$pkg_jar" import --config "$work/safenet.yaml" --format domains --category scam "$work/list.txt" >/dev/null
echo "listed names: $(wc -l <"$work/list.txt")"

# Prints the milliseconds from $1 (ns since the epoch) until a query to $port is answered.
probe() {
  python3 - "$1" "$port" <<'PY'
import socket, sys, time
start, port = int(sys.argv[1]), int(sys.argv[2])
name = b"".join(bytes([len(l)]) + l for l in b"first-answer.example".split(b".")) + b"\0"
q = bytes.fromhex("123401000001000000000000") + name + bytes.fromhex("00010001")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.005)
deadline = time.time() + 120
while time.time() < deadline:
    s.sendto(q, ("127.0.0.1", port))
    try:
        s.recvfrom(4096)
        print((time.time_ns() - start) // 1_000_000)
        sys.exit(0)
    except socket.timeout:
        pass
    except ConnectionRefusedError:
        time.sleep(0.005)
print("none")
PY
}

run() { # name java jar [jvm options...]
  local java=$2 jar=$3
  shift 3
  local t0
  t0=$(date +%s%N)
  "$java" "${opts[@]}" "$@" -jar "$jar" serve --config "$work/safenet.yaml" >"$work/serve.log" 2>&1 &
  pid=$!
  probe "$t0"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

cds=(-XX:SharedArchiveFile="$work/app.jsa" -XX:+AutoCreateSharedArchive)
run warmup "$pkg_java" "$pkg_jar" "${cds[@]}" >/dev/null # writes the archive at its stop
aot=(-XX:AOTCache="$work/app.aot")
run training "$pkg_java" "$pkg_jar" -XX:AOTCacheOutput="$work/app.aot" >/dev/null
ls -l "$work/app.jsa" "$work/app.aot" | awk '{printf "%s: %.1f MiB\n", $NF, $5 / 1048576}'
declare -A results
for r in $(seq 1 "$ROUNDS"); do
  results[jdk]+="$(run jdk "$jdk_java" "$dev_jar") "
  results[pkg]+="$(run pkg "$pkg_java" "$pkg_jar") "
  results[cds]+="$(run cds "$pkg_java" "$pkg_jar" "${cds[@]}") "
  results[aot]+="$(run aot "$pkg_java" "$pkg_jar" "${aot[@]}") "
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for k in jdk pkg cds aot; do
  printf "%-4s first answer after (ms): %s  median %s\n" "$k" "${results[$k]}" "$(echo "${results[$k]}" | median)"
done
