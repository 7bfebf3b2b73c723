#!/usr/bin/env bash
# Recursive mode with DNSSEC validation, side by side: SafeNet DNS (`upstream.mode: recursive`),
# Unbound and PowerDNS Recursor, each with one thread on CPU 1, resolving from the same loopback
# hierarchy of Knot DNS servers on CPU 0 (a signed root on 127.53.0.1, a signed `test.` on
# 127.53.0.2, and on 127.53.0.3 `secure.test` signed with NSEC, `nsec3.test` with NSEC3 and
# `unsigned.test`, each with 1,000 host names and a wildcard `*.wild`), all validating with that
# root's key as their only trust anchor. Servers are measured one at a time, alternating, by
# dnsperf (../shared/tools/dnsperf-cpu: answers per server CPU-second) on three query files:
#   cached   the 3,000 host names (A), after a warm-up pass: every answer from the cache
#   miss     never-seen names under the wildcards: every answer needs the leaf server and a
#            validation (the wildcard's NSEC/NSEC3 proof), delegations and keys cached
#   mix      90% the host names, 10% never-seen names
# and then by the load generator's open loop at RATE queries a second on a mix of the same shape
# whose never-seen names no other phase asked (rate.txt), for p50/p99/p99.9.
#
#   sudo bench/scripts/recursion-compare.sh        # DURATION=15 ROUNDS=2 RATE=5000
#   SERVERS=safenet WORKLOADS=miss ...             # a subset (e.g. with SAFENET_JAVA_OPTS for a profile)
#
# Needs root (the hierarchy listens on port 53 of 127.53.0.x, where the peers' root hints point),
# knot, unbound, pdns-recursor, dnsperf, bind9-utils (dnssec-dsfromkey). Results:
# bench-results/recursion-<time>/. Loopback only; every process started here is stopped by its PID.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-5000}
SERVERS=${SERVERS-safenet unbound pdns}
WORKLOADS=${WORKLOADS-cached miss mix}   # "" skips dnsperf: the open loop alone
[ "$(id -u)" = 0 ] || { echo "run as root: the hierarchy listens on port 53 of 127.53.0.x" >&2; exit 2; }
for tool in knotd unbound pdns_recursor dnsperf dnssec-dsfromkey; do
  command -v "$tool" >/dev/null || { echo "install $tool (bench/peers/install.sh, bind9-utils)" >&2; exit 2; }
done
out="$repo/bench-results/recursion-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
ROOT=127.53.0.1 TLD=127.53.0.2 LEAF=127.53.0.3

# --- the hierarchy -------------------------------------------------------------------------------
zone_file() { # dir zone ns-name body
  local file="$1/${2%.}.zone"; [ "$2" = . ] && file="$1/root.zone"
  { echo "\$ORIGIN $2"; echo "\$TTL 3600"
    echo "@ IN SOA $3 hostmaster.test. 1 3600 600 86400 300"; echo "@ IN NS $3"; printf '%s\n' "$4"; } >"$file"
  echo "$file"
}
hosts() { # the 1,000 host names and the wildcard of a leaf zone
  for i in $(seq 1 1000); do echo "h$i 3600 IN A 192.0.2.$((i % 250 + 1))"; done
  echo "*.wild 3600 IN A 198.51.100.1"
}
start_knot() { # address zone-entries...
  local addr=$1; shift
  local dir="$work/knot-$addr"; mkdir -p "$dir"
  { cat <<CONF
server:
    listen: $addr@53
    rundir: $dir
database:
    storage: $dir
log:
  - target: stderr
    any: warning
policy:
  - id: nsec
    algorithm: ecdsap256sha256
  - id: nsec3
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-iterations: 0
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
zone:
CONF
    printf '%s\n' "$@"; } >"$dir/knot.conf"
  taskset -c 0 knotd -c "$dir/knot.conf" >"$dir/knotd.log" 2>&1 &
  pids+=($!)
}
ds_of() { # address zone -> DS lines (SHA-256) of its KSK, once Knot has signed it
  for _ in $(seq 1 100); do
    if dig +norec +short @"$1" "$2" DNSKEY | grep -q '^257 '; then
      dig +norec +noall +answer @"$1" "$2" DNSKEY | dnssec-dsfromkey -2 -f - "$2"
      return
    fi
    sleep 0.2
  done
  echo "no DNSKEY for $2 at $1" >&2; exit 1
}
leaf_dir="$work/zones-leaf"; mkdir -p "$leaf_dir"
f1=$(zone_file "$leaf_dir" secure.test. ns.leaf.test. "$(hosts)")
f2=$(zone_file "$leaf_dir" nsec3.test. ns.leaf.test. "$(hosts)")
f3=$(zone_file "$leaf_dir" unsigned.test. ns.leaf.test. "$(hosts)")
start_knot $LEAF \
  "  - domain: secure.test."   "    file: $f1" "    dnssec-signing: on" "    dnssec-policy: nsec" \
  "  - domain: nsec3.test."    "    file: $f2" "    dnssec-signing: on" "    dnssec-policy: nsec3" \
  "  - domain: unsigned.test." "    file: $f3"
tld_body="ns.leaf 3600 IN A $LEAF
secure 3600 IN NS ns.leaf.test.
$(ds_of $LEAF secure.test.)
nsec3 3600 IN NS ns.leaf.test.
$(ds_of $LEAF nsec3.test.)
unsigned 3600 IN NS ns.leaf.test."
tld_dir="$work/zones-tld"; mkdir -p "$tld_dir"
f4=$(zone_file "$tld_dir" test. ns.test. "$tld_body")
start_knot $TLD "  - domain: test." "    file: $f4" "    dnssec-signing: on" "    dnssec-policy: nsec"
root_body="a.root-servers.net. 3600 IN A $ROOT
test. 3600 IN NS ns.test.
ns.test. 3600 IN A $TLD
$(ds_of $TLD test.)"
root_dir="$work/zones-root"; mkdir -p "$root_dir"
f5=$(zone_file "$root_dir" . a.root-servers.net. "$root_body")
start_knot $ROOT "  - domain: ." "    file: $f5" "    dnssec-signing: on" "    dnssec-policy: nsec"
anchor=$(ds_of $ROOT .)
printf '.                   3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A  %s\n' $ROOT >"$work/root.hints"
echo "$anchor" >"$work/root.ds"
echo "hierarchy: root $ROOT, test. $TLD, leaves $LEAF; anchor: $anchor"

# --- query files ---------------------------------------------------------------------------------
for z in secure nsec3 unsigned; do for i in $(seq 1 1000); do echo "h$i.$z.test A"; done; done >"$work/cached.txt"
python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
rng = random.Random(1)
zones = ["secure", "nsec3", "unsigned"]
cached = open(f"{work}/cached.txt").read().splitlines()
def unique(n, tag):
    return [f"{tag}{i}-{rng.randrange(1 << 30):x}.wild.{zones[i % 3]}.test A" for i in range(n)]
open(f"{work}/miss.txt", "w").write("\n".join(unique(1_500_000, "m")) + "\n")
mix = []
for i, u in enumerate(unique(300_000, "x")):
    mix.extend(rng.choice(cached) for _ in range(9))
    mix.append(u)
open(f"{work}/mix.txt", "w").write("\n".join(mix) + "\n")
rate = []  # the same shape with names no other phase asks, so the open loop still meets misses
for u in unique(100_000, "y"):
    rate.extend(rng.choice(cached) for _ in range(9))
    rate.append(u)
open(f"{work}/rate.txt", "w").write("\n".join(rate) + "\n")
PY

# --- the servers ---------------------------------------------------------------------------------
p_safenet=$(free_port); p_unbound=$(free_port); p_pdns=$(free_port)
cat >"$work/safenet.yaml" <<YAML
server:
  listen: ["127.0.0.1:$p_safenet"]
  threads: 1
upstream:
  mode: recursive
  rootHints: $work/root.hints
dnssec:
  trustAnchors: ["$anchor"]
blocklist:
  blockPageListen: []
admin:
  listen: []
dataDir: $work/safenet
YAML
echo "blocked.example" >"$work/list.txt"
serve_appliance safenet
mkdir -p "$work/unbound"
cat >"$work/unbound/unbound.conf" <<CONF
server:
  interface: 127.0.0.1@$p_unbound
  do-daemonize: no
  use-syslog: no
  logfile: ""
  username: ""
  chroot: ""
  directory: "$work/unbound"
  pidfile: ""
  num-threads: 1
  do-not-query-localhost: no
  local-zone: "test." nodefault
  root-hints: "$work/root.hints"
  trust-anchor-file: "$work/root.ds"
  access-control: 127.0.0.0/8 allow
CONF
taskset -c 1 unbound -d -c "$work/unbound/unbound.conf" >"$work/unbound.log" 2>&1 &
pid_unbound=$!; pids+=($pid_unbound)
mkdir -p "$work/pdns"
echo "addTA('.', \"$(echo "$anchor" | awk '{print $(NF-3), $(NF-2), $(NF-1), $NF}')\")" >"$work/pdns/recursor.lua"
cat >"$work/pdns/recursor.conf" <<CONF
local-address=127.0.0.1
local-port=$p_pdns
threads=1
pdns-distributes-queries=no
hint-file=$work/root.hints
dnssec=validate
lua-config-file=$work/pdns/recursor.lua
dont-query=
socket-dir=$work/pdns
CONF
taskset -c 1 pdns_recursor --config-dir="$work/pdns" >"$work/pdns.log" 2>&1 &
pid_pdns=$!; pids+=($pid_pdns)
sleep 3

# --- the answer check: every server validates the same way ----------------------------------------
for name in $SERVERS; do
  port_var=p_$name port=${!port_var}
  flags=$(dig @127.0.0.1 -p "$port" +dnssec +tries=2 +time=5 h7.nsec3.test A | grep -c 'flags:.* ad' || true)
  insecure=$(dig @127.0.0.1 -p "$port" +dnssec +tries=2 +time=5 h7.unsigned.test A | grep -c 'flags:.* ad' || true)
  echo "check $name: secure answer with AD=$flags, insecure answer with AD=$insecure (want 1 and 0)" | tee -a "$out/summary.txt"
done

# --- measurement ---------------------------------------------------------------------------------
jvm=$jvm_safenet
for s in $SERVERS; do # warm the caches: every host name once
  port_var=p_$s
  taskset -c 0 dnsperf -s 127.0.0.1 -p "${!port_var}" -d "$work/cached.txt" -n 1 -c 4 -q 100 >/dev/null 2>&1 || true
done
{
  echo "| round | server | workload | qps | answered | lost | server CPU s | answers per CPU-s |"
  echo "|---|---|---|---:|---:|---:|---:|---:|"
} >"$out/dnsperf.md"
for r in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for s in $SERVERS; do
      port_var=p_$s
      case $s in safenet) pid=$jvm;; unbound) pid=$pid_unbound;; pdns) pid=$pid_pdns;; esac
      line=$("$data/../tools/dnsperf-cpu" "$pid" 127.0.0.1 "${!port_var}" "$work/$w.txt" "$DURATION")
      echo "round $r $w $s: $line" | tee -a "$out/summary.txt"
      echo "$line" | awk -v r="$r" -v s="$s" -v w="$w" '{
        for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", r, s, w, v["qps"], v["answered"], v["lost"], v["server_cpu_s"], v["answers_per_cpu_s"] }' >>"$out/dnsperf.md"
    done
  done
done
for s in $SERVERS; do # what the answers were: every one NOERROR, none lost
  port_var=p_$s
  for w in $WORKLOADS; do
    codes=$(taskset -c 0 dnsperf -s 127.0.0.1 -p "${!port_var}" -d "$work/$w.txt" -l 5 -c 8 -q 100 2>&1 |
      awk '/Queries lost/ {lost=$3} /Response codes/ {sub(/.*Response codes: +/, ""); codes=$0} END {print "lost " lost ", " codes}')
    echo "answers $s $w: $codes" | tee -a "$out/summary.txt"
  done
done
for s in $SERVERS; do
  port_var=p_$s
  case $s in safenet) pid=$jvm;; unbound) pid=$pid_unbound;; pdns) pid=$pid_pdns;; esac
  taskset -c 0 "$repo/safenet" bench --target "$s=127.0.0.1:${!port_var},pid=$pid" --query-file "$work/rate.txt" \
    --rate "$RATE" --duration "${DURATION}s" --rounds 1 --warmup 5s --quiet --out "$out/rate-$s" >"$out/rate-$s.txt" 2>&1 || true
  grep -iE "p99|p50" "$out/rate-$s.txt" | head -5 | sed "s/^/$s: /" | tee -a "$out/summary.txt"
done
ps -o rss= -p "$jvm" -p "$pid_unbound" -p "$pid_pdns" | awk '{printf "RSS MiB: %d\n", $1/1024}' | tee -a "$out/summary.txt"
echo "results: $out"
