#!/usr/bin/env bash
# Installs the peers SafeNet DNS is compared with, from Debian's packages: Unbound, dnsdist,
# PowerDNS Recursor, Knot Resolver, plus Knot DNS (the local authoritative server they all
# forward to) and dnsperf (for checking the load generator against the tool engineers know).
# Services are not started (compare.sh starts its own instances on loopback ports).
set -euo pipefail
pkgs=(unbound dnsdist pdns-recursor knot-resolver knot knot-dnsutils dnsutils dnsperf util-linux python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "peers: all installed"; exit 0
fi
echo "peers: installing ${missing[*]}"
[ "$(id -u)" = 0 ] || { echo "run as root (apt-get)" >&2; exit 2; }
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start system-wide resolvers on port 53 during the install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "peers: done"
