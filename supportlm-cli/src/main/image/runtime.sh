#!/usr/bin/env bash
# Builds the root filesystem that the container image adds on top of `scratch` (no base image is
# pulled, so the image builds without a registry): a jlinked Java runtime of the JDK that runs the
# build, the shared libraries it and the Hugging Face tokenizers' native library need (copied from
# this machine), /etc/passwd with the unprivileged user the image runs as, and a writable /tmp.
# Usage: runtime.sh JAVA_HOME SHADED_JAR OUT_DIR. Linux x86-64 only: the runtime and the libraries
# are this machine's, and they become the image's.
set -euo pipefail
java_home="$1"; jar="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; out="$3"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "runtime.sh: the image is linux/amd64 and takes its Java runtime and C libraries from the build machine; build it on Linux x86-64 (this is $(uname -s)-$(uname -m))" >&2
  exit 1
fi
for tool in "$java_home/bin/jlink" "$java_home/bin/jar"; do
  [ -x "$tool" ] || { echo "runtime.sh: $tool not found: build with a JDK 25 (JAVA_HOME), not a JRE" >&2; exit 1; }
done
command -v ldd >/dev/null || { echo "runtime.sh: ldd not found (glibc's tools)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/lib64" "$out/lib/x86_64-linux-gnu"

# The modules jdeps finds in the application jar, plus EC crypto (TLS to the Hugging Face Hub),
# extra charsets (CSV ingest in other encodings) and the zip file system.
modules="java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.security.jgss,java.sql"
modules="$modules,jdk.attach,jdk.incubator.vector,jdk.jdi,jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.charsets,jdk.zipfs"
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$out/opt/java"

# Shared libraries: everything the runtime's binaries and the tokenizers' native library link to,
# except what only the X11 toolkit and sound need (the server runs headless: never loaded).
natives="$(mktemp -d)"
trap 'rm -rf "$natives"' EXIT
(cd "$natives" && "$java_home/bin/jar" xf "$jar" native/lib/linux-x86_64/cpu/libtokenizers.so com/sun/jna/linux-x86-64/libjnidispatch.so)
{
  find "$out/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \) \
    ! -name libawt_xawt.so ! -name libjawt.so ! -name libsplashscreen.so ! -name libjsound.so
  find "$natives" -type f -name '*.so'
} | while read -r binary; do
  ldd "$binary" 2>/dev/null | awk '/=> \// { print $3 } /^\s*\/lib64\// { print $1 }' || true
done | sort -u | while read -r lib; do
  case "$lib" in
    */lib64/ld-linux-x86-64.so.2) cp -L "$lib" "$out/lib64/ld-linux-x86-64.so.2" ;;
    "$out"/*) ;; # the runtime's own libraries
    *) cp -L "$lib" "$out/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
  esac
done
[ -f "$out/lib64/ld-linux-x86-64.so.2" ] || cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib64/ld-linux-x86-64.so.2"

cat > "$out/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:supportlm:/tmp:/sbin/nologin
PASSWD
cat > "$out/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP
echo "runtime.sh: $(du -sh "$out" | cut -f1) in $out ($(ls "$out/lib/x86_64-linux-gnu" | tr '\n' ' '))"
