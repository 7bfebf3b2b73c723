#!/bin/sh
# What the .deb carries besides its own files, made in Maven's package phase after the shaded jar
# and before jdeb (appliance/pom.xml): TARGET/deb/runtime, a Java runtime made by jlink with only
# the modules the appliance uses (and its default CDS archives), and TARGET/deb/safenet.jar, the
# shaded jar without the native libraries of other platforms, its entries stored uncompressed so
# that the package's xz compresses them together (12.4 MiB of the package instead of 22.8; 63 MiB
# installed). docs/installation.md says what each build contains.
#
#   payload.sh TARGET ARCH       ARCH: amd64 (or arm64, with RUNTIME_JDK: see below)
#
# jlink links the runtime from the JDK running it (JAVA_HOME, Java 25): an amd64 runtime on an
# amd64 build machine. For another architecture set RUNTIME_JDK to a JDK 25 of that architecture
# that has its jmods/ directory; it is linked with the build JDK's jlink from those jmods.
set -eu

target=$1
arch=$2
java_home=${JAVA_HOME:?JAVA_HOME must point to the JDK 25 that builds the package}

# The modules `jdeps --print-module-deps --ignore-missing-deps --multi-release 25 safenet.jar`
# lists, but for two that only unused code of libraries refers to (java.desktop: java.beans in
# Jackson's optional Java 7 support, SnakeYAML's bean introspector and Micrometer's logging
# binders; java.compiler: Error Prone's annotations), which would add 6.5 MiB to the package;
# and jdk.jcmd (jcmd: Native Memory Tracking, JFR, heap summaries on a running appliance) and
# jdk.charsets (lists in legacy encodings). DebPackageIT runs the appliance on this runtime.
modules=java.base,java.naming,java.net.http,java.sql,jdk.jfr,jdk.management,jdk.unsupported,jdk.jcmd,jdk.charsets

case "$arch" in
    amd64) rocksdb=linux64 netty=x86_64 ;;
    arm64) rocksdb=linux-aarch64 netty=aarch_64 ;;
    *) echo "payload.sh: unknown architecture '$arch' (amd64 or arm64)" >&2; exit 2 ;;
esac

host=$(uname -m)
case "$arch/$host" in
    amd64/x86_64 | arm64/aarch64) module_path="" ;;
    *)
        if [ -z "${RUNTIME_JDK:-}" ] || [ ! -d "${RUNTIME_JDK:-}/jmods" ]; then
            echo "payload.sh: an $arch runtime cannot be linked from this $host JDK; set RUNTIME_JDK to an $arch JDK 25 with jmods/" >&2
            exit 2
        fi
        module_path="--module-path $RUNTIME_JDK/jmods"
        ;;
esac

out="$target/deb"
rm -rf "$out"
mkdir -p "$out"

# shellcheck disable=SC2086
"$java_home/bin/jlink" $module_path \
    --add-modules "$modules" \
    --strip-debug --no-man-pages --no-header-files \
    --output "$out/runtime"

# The runtime's own class data sharing archives (JDK classes), dumped with the options the
# launcher runs with, so that the JVM uses them whole and says nothing: one for ZGC (no compressed
# oops: the launcher's default) and one for a collector with compressed oops (G1 under 32 GB).
# jlink's --generate-cds-archive dumps without --enable-native-access, and then every start logs
# a mismatch as an error. The appliance's classes go into a second, dynamic archive on the
# machine (SAFENET_CDS_ARCHIVE). A runtime for another architecture cannot run here: no archives.
if [ -z "$module_path" ]; then
    for gc in -XX:+UseZGC -XX:+UseG1GC; do
        "$out/runtime/bin/java" "$gc" --enable-native-access=ALL-UNNAMED -Xshare:dump >/dev/null
    done
fi

"$java_home/bin/java" "$(dirname "$0")/KeepNatives.java" \
    "$target/safenet.jar" "$out/safenet.jar" "$rocksdb" "$netty"

du -sk "$out/runtime" "$out/safenet.jar" | awk '{printf "payload: %s %d MiB\n", $2, $1 / 1024}'
