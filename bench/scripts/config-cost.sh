#!/usr/bin/env bash
# What profiles cost on the hot path (issue 14): two appliances, identical but for three client
# groups and three profiles (a school profile with SafeSearch, services, an open schedule and the
# DoH-bypass names; a family profile; a staff profile by listen address), the same 100,000-name
# list. dnsperf's queries come from 127.0.0.1, which the profiled appliance puts in the school
# group, so every query takes the whole profile path: group scan, the profile's own sets, the
# services, the schedule, the lists under its category mask. Blocked names (listed names) and
# cached names (popular names, after a warm-up pass) are measured separately, one appliance at a
# time, alternating, by ../shared/tools/dnsperf-cpu: answers per server CPU-second. Both
# appliances on CPU 1, dnsperf and the upstream on CPU 0.
#
#   bench/scripts/config-cost.sh            # SECONDS_PER_RUN=15 ROUNDS=3 KINDS="blocked cached"
#   COMPARE=limits bench/scripts/config-cost.sh
#
# COMPARE=limits measures the per-client limits' checks instead (issue 15): "off"
# (limits.clientQps: 0, limits.responsesPerSecond: 0) against "on" with limits this load never
# reaches and no exemption, so every query takes the query-rate bucket and every answer the
# response-rate check (dnsperf sends from one address, which real limits would stop: the figure
# wanted is what the checks cost). Loopback is exempt by default since the first limits run, so
# "on" must empty limits.exempt to keep measuring the bucket.
#
# The machine's noise (steal, frequency) moves single runs by ±15% here: compare medians of many
# alternating rounds, and the median of each round's ratio.
#
# Results: bench-results/profiles-cost-<time>/dnsperf.txt. Loopback only; every process started
# here is stopped by its PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-15}
ROUNDS=${ROUNDS:-3}
KINDS=${KINDS:-blocked cached}
COMPARE=${COMPARE:-profiles}
if [ "$COMPARE" = limits ]; then A=off B=on; else A=single B=three; fi
out="$repo/bench-results/$COMPARE-cost-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
start_responder

zcat "$data/derived/blocked-domains-1m.txt.gz" | awk '!/^#/ && NF && c++ < 100000' >"$work/list.txt"
awk 'NR % 10 == 1 {print $1, "A"}' "$work/list.txt" >"$work/blocked.dnsperf"
# Popular names that no profile touches: services' domains (and below), search engines and the
# DoH resolvers would be blocks or redirects for the school profile, so they are left out.
python3 - "$repo/appliance/src/main/resources/org/safenet/dns/appliance/policy" \
  "$data/derived/top-domains-not-blocked.txt" >"$work/cached.dnsperf" <<'PY'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
skip = {l.strip() for f in ("services.txt", "doh-bypass.txt") for l in (d / f).read_text().splitlines()
        if l.strip() and l[0] not in "#[+"}
skip |= {"google.com", "bing.com", "duckduckgo.com", "youtube.com"}
n = 0
for line in open(sys.argv[2]):
    name = line.split()[0] if line.strip() else ""
    labels = name.split(".")
    if not name or any(".".join(labels[i:]) in skip for i in range(len(labels))) or name.startswith("google."):
        continue
    print(name, "A")
    n += 1
    if n == 20000:
        break
PY

profiles_yaml() {
  local staff_port=$1
  cat <<YAML
profiles:
  - name: school
    categories: {gambling: sinkhole, adult: sinkhole, ads: nxdomain}
    safeSearch: true
    blockedServices: [tiktok]
    schedules:
      - {name: always, days: [all], from: "00:00", to: "24:00", block: [social, games]}
    blockDohBypass: true
  - name: family
    categories: {adult: sinkhole}
  - name: staff
    categories: {scam: sinkhole}
clients:
  - {name: students, match: ["10.1.0.0/16", "127.0.0.0/8", "fd00:1::/48"], profile: school}
  - {name: family, match: ["100.64.0.0/10"], profile: family}
  - {name: staff, listen: ["127.0.0.1:$staff_port"], profile: staff}
policy:
  timeZone: Asia/Ho_Chi_Minh
YAML
}

start_appliance() { # name with_profiles -> sets port_<name>, jvm_<name>
  local name=$1 with=$2 port
  port=$(free_port)
  {
    cat <<YAML
server:
  listen: ["127.0.0.1:$port"]
  threads: 1
upstream:
  servers: ["127.0.0.1:$up_port"]
blocklist:
  blockPage: ["192.0.2.80"]
  blockPageListen: []
admin:
  listen: []
dataDir: $work/$name
YAML
    case "$COMPARE/$with" in
      profiles/yes) profiles_yaml "$(free_port)" ;;
      limits/no) printf 'limits:\n  clientQps: 0\n  responsesPerSecond: 0\n' ;;
      limits/yes) printf 'limits:\n  clientQps: 100000000\n  responsesPerSecond: 100000000\n  exempt: []\n' ;;
    esac
  } >"$work/$name.yaml"
  serve_appliance "$name"
  eval "port_$name=$port"
}
start_appliance "$A" no
start_appliance "$B" yes

# Warm both caches with the popular names (one pass each), so the "cached" runs are hits.
for name in "$A" "$B"; do
  port_var=port_$name
  taskset -c 0 dnsperf -s 127.0.0.1 -p "${!port_var}" -d "$work/cached.dnsperf" -n 1 -c 4 -q 200 >/dev/null 2>&1 || true
done

for round in $(seq 1 "$ROUNDS"); do
  for kind in $KINDS; do
    for name in "$A" "$B"; do
      port_var=port_$name jvm_var=jvm_$name
      echo "round $round $kind $name: $("$data/../tools/dnsperf-cpu" "${!jvm_var}" 127.0.0.1 "${!port_var}" "$work/$kind.dnsperf" "$SECONDS_PER_RUN")"
    done
  done
done | tee "$out/dnsperf.txt"
echo "results: $out"
