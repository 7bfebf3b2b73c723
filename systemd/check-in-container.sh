#!/usr/bin/env bash
# The operator's path, checked under a real systemd: debootstrap a Debian 12 root with no Java in
# it, copy in the .deb, `dpkg -i` it, boot the root with systemd-nspawn (systemd as PID 1, in a
# private network namespace: only its own loopback), and run the steps an operator runs: start,
# answer, block, reload, stop, upgrade to a newer build with the data kept, purge. Prints what
# happened and exits 0 only if every step did what it should.
#
#   sudo systemd/check-in-container.sh [ROOT_DIR]     # needs systemd-container and debootstrap
#
# About two minutes the first time (debootstrap), seconds after. Not part of CI.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-/var/lib/safenet-check-root}
deb=$(ls "$repo"/appliance/target/safenet-dns_*_amd64.deb | head -n 1)
command -v systemd-nspawn >/dev/null || { echo "apt-get install systemd-container" >&2; exit 2; }
if [ ! -x "$root/bin/systemctl" ]; then
  command -v debootstrap >/dev/null || { echo "apt-get install debootstrap" >&2; exit 2; }
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,dnsutils,procps bookworm "$root"
fi
# No Java in the root: the package must bring its own (a root from an older run may have one).
rm -rf "$root/usr/lib/jvm"
cp "$deb" "$root/root/safenet.deb"
# The "newer build" of the upgrade step: the same package with a higher version.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -R "$deb" "$work/pkg"
sed -i 's/^Version: \(.*\)$/Version: \1+check1/' "$work/pkg/DEBIAN/control"
dpkg-deb -Zxz -b "$work/pkg" "$root/root/safenet-next.deb" >/dev/null
cat >"$root/usr/local/bin/safenet-check.sh" <<'INNER'
#!/bin/sh
exec > /root/safenet-check.txt 2>&1
set -x
# "Edit one YAML file": loopback only (the namespace has nothing else) and no upstream.
sed -i 's/listen: \["0.0.0.0:53", "\[::\]:53"\]/listen: ["127.0.0.1:53"]/; s/blockPageListen: \["0.0.0.0:80"\]/blockPageListen: ["127.0.0.1:80"]/; s/  servers: \[\]/  servers: ["127.0.0.1:9"]/' /etc/safenet/safenet.yaml
echo "java on the PATH: $(command -v java || echo none)"
safenet version
# Milliseconds from `systemctl start` until dig gets an answer (any rcode) from the appliance.
first_answer() {
    t0=$(date +%s%N)
    systemctl start safenet
    until dig +time=1 +tries=1 @127.0.0.1 first.check.example >/dev/null; do sleep 0.01; done
    echo "first answer after systemctl start ($1): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
systemctl enable safenet
first_answer "first start, no CDS archive yet"
echo "active: $(systemctl is-active safenet)"
systemctl show safenet -p SubState -p User -p StatusText
grep -E "^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/$(systemctl show safenet -p MainPID --value)/status
safenet block check.example --category scam --config /etc/safenet/safenet.yaml
echo "answer: $(dig +short @127.0.0.1 www.check.example)"
printf 'logging:\n  levels: {org.safenet.dns.blocklist: DEBUG}\n' >> /etc/safenet/safenet.yaml
systemctl reload safenet
sleep 2
systemctl show safenet -p StatusText
systemctl stop safenet
systemctl show safenet -p Result -p ExecMainStatus
echo "cds archive: $(stat -c %s /var/cache/safenet/safenet.jsa 2>/dev/null || echo none)"
first_answer "with the CDS archive"
systemctl stop safenet
first_answer "with the CDS archive, again"
# Upgrade while running: the service restarts on the new build, the list is kept.
dpkg -i /root/safenet-next.deb
echo "upgraded: $(dpkg-query -W -f '${Version}' safenet-dns) $(systemctl is-active safenet)"
echo "answer after upgrade: $(dig +short @127.0.0.1 www.check.example)"
journalctl -u safenet --no-pager | tail -20
systemctl stop safenet
dpkg --purge safenet-dns
for d in /var/lib/safenet /var/cache/safenet /etc/safenet /usr/lib/safenet-dns /usr/share/safenet-dns; do
    [ -e "$d" ] && echo "left after purge: $d"
done
echo "purged: $(dpkg-query -W -f '${Status}' safenet-dns 2>&1)"
systemctl poweroff
INNER
chmod +x "$root/usr/local/bin/safenet-check.sh"
cat >"$root/etc/systemd/system/safenet-check.service" <<'INNER'
[Unit]
Description=SafeNet DNS install check
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/bin/safenet-check.sh
[Install]
WantedBy=multi-user.target
INNER
ln -sf /etc/systemd/system/safenet-check.service "$root/etc/systemd/system/multi-user.target.wants/safenet-check.service"
nspawn=(systemd-nspawn -q --register=no --keep-unit --private-network -D "$root")
"${nspawn[@]}" sh -c 'dpkg --purge safenet-dns >/dev/null 2>&1; rm -rf /var/lib/safenet; dpkg -i /root/safenet.deb'
timeout 300 "${nspawn[@]}" -b >/dev/null 2>&1 || true
out="$root/root/safenet-check.txt"
cat "$out"
grep -q "^java on the PATH: none" "$out" && grep -q "(Java 25.*/usr/lib/safenet-dns/runtime)" "$out" \
  && grep -q "^active: active" "$out" && grep -q "^answer: 127.0.0.1" "$out" && grep -q "CapEff:.*0000000000000400" "$out" \
  && grep -q "StatusText=reloaded: logging.levels changed live" "$out" && grep -q "^Result=success" "$out" \
  && grep -q "^cds archive: [0-9]" "$out" && grep -q "^upgraded: .*+check1 active" "$out" \
  && grep -q "^answer after upgrade: 127.0.0.1" "$out" && ! grep -q "^left after purge" "$out" \
  && grep -Eq "^purged: (.*not-installed|.*no packages found)" "$out" \
  && { echo "check: OK"; exit 0; }
echo "check: FAILED" >&2
exit 1
