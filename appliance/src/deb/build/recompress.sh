#!/bin/sh
# Compresses the .deb jdeb wrote uncompressed (appliance/pom.xml, after jdeb): dpkg-deb's xz uses
# every core (42 s here for the 160 MB of runtime and jar), where jdeb's own xz, in Java, takes
# over two minutes on one. Same files, modes and owners (root), same control data.
#
#   recompress.sh TARGET ARCH
set -eu
target=$1
arch=$2
for deb in "$target"/safenet-dns_*_"$arch".deb; do
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    dpkg-deb -R "$deb" "$work/pkg"
    dpkg-deb --root-owner-group -Zxz -z6 -b "$work/pkg" "$work/out.deb" >/dev/null
    mv "$work/out.deb" "$deb"
    rm -rf "$work"
    trap - EXIT
    du -k "$deb" | awk '{printf "package: %s %.1f MiB\n", $2, $1 / 1024}'
done
