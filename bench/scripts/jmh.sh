#!/usr/bin/env bash
# Runs the JMH benchmarks of every hot-path stage with settings that make sense on this 2-core
# machine: one fork (FORKS=2 for figures that go into docs/benchmarks.md), 5 warm-up and 5
# measured iterations of 2 s, -prof gc (allocation per operation is exact even when the time is
# noisy), not pinned (the JIT and GC need the second core). Heap 4 GiB for the 10M-entry index.
#
#   bench/scripts/jmh.sh                 every benchmark (about 8 minutes; the 10M index alone takes 2)
#   bench/scripts/jmh.sh 'CacheHit|Acl'  a regular expression of benchmark names
#   QUICK=1 bench/scripts/jmh.sh ...     3 x 1 s iterations, for a first look
#
# Output: the JMH table (time and gc.alloc.rate.norm rows) and bench-results/jmh-<time>.json.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
"$repo/safenet" bench --help >/dev/null # finds JDK 25 and builds bench/target/benchmarks.jar if needed
java_home=""
for d in "${JAVA_HOME:-}" /usr/lib/jvm/*25*; do
  [ -x "$d/bin/java" ] && "$d/bin/java" -version 2>&1 | grep -q 'version "2[5-9]' && { java_home=$d; break; }
done
[ -n "$java_home" ] || { echo "no JDK 25 found" >&2; exit 2; }
forks=${FORKS:-1}
if [ "${QUICK:-0}" = 1 ]; then iters=(-wi 3 -w 1s -i 3 -r 1s); else iters=(-wi 5 -w 2s -i 5 -r 2s); fi
mkdir -p bench-results
out="bench-results/jmh-$(date -u +%Y%m%d-%H%M%S).json"
"$java_home/bin/java" --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar "${1:-.*}" \
  -f "$forks" "${iters[@]}" -prof gc -jvmArgs "-Xmx4g --enable-native-access=ALL-UNNAMED" -rf json -rff "$out" |
  grep -E '^(Benchmark|[A-Za-z].*(avgt|thrpt))' | grep -vE 'gc\.(alloc\.rate|count|time) '
echo "results: $out"
