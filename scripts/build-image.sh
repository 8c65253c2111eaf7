#!/usr/bin/env bash
# Builds dist-kv's node container image without a Docker daemon or a registry (docs/operations.md
# "Container image"): a Docker-archive tarball that `docker load`, `podman load` and
# `skopeo copy docker-archive:...` read.
#
#   scripts/build-image.sh                       # -> modules/server/target/distkv-image.tar
#   scripts/build-image.sh --out FILE [--classpath CP] [--tag NAME:TAG]
#
# Two layers: the runtime (a jlink'd Java runtime of the modules the node uses, the shared
# libraries it links against copied from this machine's Debian packages, /etc/passwd with the
# `distkv` user 10001, /tmp, /var/lib/distkv owned by distkv) and the application
# (/opt/distkv/lib/*.jar: the node jar and its dependencies, or every entry of --classpath, a
# directory packed as a jar). The image runs as distkv, entrypoint `java -cp /opt/distkv/lib/*
# io.distkv.server.DistKvNode`, default command `-c /etc/distkv/node.conf` (mount yours there),
# data in /var/lib/distkv. Layers are tars with fixed times and owners, so the same inputs give
# the same image id.
set -euo pipefail
cd "$(dirname "$0")/.."
out=modules/server/target/distkv-image.tar
classpath=""
tag="distkv:0.1.0"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --classpath) classpath=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-image.sh: unknown argument '$1' (--out FILE, --classpath CP, --tag NAME:TAG)" >&2; exit 2 ;;
  esac
done
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
[ -d "$java_home/jmods" ] || { echo "build-image.sh: $java_home has no jmods (jlink needs a full JDK)" >&2; exit 2; }
# What `jdeps --print-module-deps --ignore-missing-deps` finds in the node jar and its libraries,
# plus jdk.crypto.ec (TLS's elliptic-curve key exchange) and jdk.jcmd's attach support for jcmd.
modules=java.base,java.compiler,java.desktop,java.management.rmi,java.naming,java.sql,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported,jdk.crypto.ec,jdk.attach

work=$(mktemp -d "${TMPDIR:-/tmp}/distkv-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
base=$work/base
app=$work/app
mkdir -p "$base" "$app/opt/distkv/lib"

# -- the application layer
if [ -z "$classpath" ]; then
  jar=modules/server/target/distkv-server-0.1.0-SNAPSHOT.jar
  if [ ! -f "$jar" ] || [ ! -d modules/server/target/lib ]; then
    mvn -B --no-transfer-progress -q -DskipTests -pl modules/server -am package
  fi
  cp "$jar" modules/server/target/lib/*.jar "$app/opt/distkv/lib/"
else
  n=0
  IFS=: read -ra entries <<< "$classpath"
  for e in "${entries[@]}"; do
    n=$((n + 1))
    if [ -d "$e" ]; then
      (cd "$e" && jar cf "$app/opt/distkv/lib/$(printf 'cp%03d' "$n")-$(basename "$(dirname "$e")").jar" .)
    elif [ -f "$e" ]; then
      cp "$e" "$app/opt/distkv/lib/"
    fi
  done
fi

# -- the runtime layer
jlink --module-path "$java_home/jmods" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=2 --output "$base/opt/java"
# The libraries the runtime links against, but not those of AWT, fonts, images and sound (java.desktop
# is in for java.beans; the node never loads those natives, and they would pull X11 in).
natives=$(find "$base/opt/java/lib" -name '*.so' | grep -vE '/lib(awt|awt_xawt|awt_headless|fontmanager|jawt|splashscreen|lcms|javajpeg|mlib_image|jsound)\.so$')
libs=$( { for f in "$base/opt/java/bin/java" $natives; do ldd "$f" 2>/dev/null; done; } \
  | grep -oE '(/[^ ]+\.so[^ ]*)' | grep -v "^$base" | sort -u)
for l in $libs; do
  mkdir -p "$base$(dirname "$l")"
  cp -L "$l" "$base$l"
done
mkdir -p "$base/etc/distkv" "$base/tmp" "$base/var/lib/distkv" "$base/proc" "$base/sys" "$base/dev"
chmod 1777 "$base/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\ndistkv:x:10001:10001:dist-kv:/var/lib/distkv:/sbin/nologin\n' > "$base/etc/passwd"
printf 'root:x:0:\ndistkv:x:10001:\n' > "$base/etc/group"
cp conf/node1.conf "$base/etc/distkv/node.conf.example"

# Reproducible layer tars: names sorted, times and owners fixed; /var/lib/distkv owned by distkv.
layer() { # layer DIR OUT: everything under DIR owned by root, then var/lib/distkv (if any) by distkv
  (cd "$1" && tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 --exclude=./var/lib/distkv \
    -cf "$2" .)
  if [ -d "$1/var/lib/distkv" ]; then
    (cd "$1" && tar --sort=name --mtime=@0 --numeric-owner --owner=10001 --group=10001 -rf "$2" ./var/lib/distkv)
  fi
}
mkdir -p "$work/out"
layer "$base" "$work/out/base.tar"
layer "$app" "$work/out/app.tar"
base_sum=$(sha256sum "$work/out/base.tar" | cut -d' ' -f1)
app_sum=$(sha256sum "$work/out/app.tar" | cut -d' ' -f1)
mkdir -p "$work/image/$base_sum" "$work/image/$app_sum"
mv "$work/out/base.tar" "$work/image/$base_sum/layer.tar"
mv "$work/out/app.tar" "$work/image/$app_sum/layer.tar"
cat > "$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"User":"10001:10001","WorkingDir":"/var/lib/distkv",
  "Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java"],
  "Entrypoint":["/opt/java/bin/java","-XX:MaxRAMPercentage=60","-XX:+ExitOnOutOfMemoryError","-cp","/opt/distkv/lib/*","io.distkv.server.DistKvNode"],
  "Cmd":["-c","/etc/distkv/node.conf"],
  "ExposedPorts":{"7101/tcp":{},"6401/tcp":{},"8401/tcp":{}},
  "Volumes":{"/var/lib/distkv":{}},
  "Labels":{"org.opencontainers.image.title":"dist-kv node","org.opencontainers.image.version":"0.1.0"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$base_sum","sha256:$app_sum"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/build-image.sh: Java runtime and libraries"},
            {"created":"1970-01-01T00:00:00Z","created_by":"scripts/build-image.sh: dist-kv node"}]}
JSON
config_sum=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/image/$config_sum.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar","%s/layer.tar"]}]\n' \
  "$config_sum" "$tag" "$base_sum" "$app_sum" > "$work/image/manifest.json"
mkdir -p "$(dirname "$out")"
(cd "$work/image" && tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 -cf - manifest.json \
  "$config_sum.json" "$base_sum" "$app_sum") > "$out"
echo "image $tag (id sha256:$config_sum) in $out, $(du -h "$out" | cut -f1)"
