#!/usr/bin/env bash
# Starts N local dist-kv nodes (conf/node1.conf … nodeN.conf, default 3) in the background.
# Logs and pid files go to run/; waits until every partition has a leader.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3}
jar=modules/server/target/distkv-server-0.1.0-SNAPSHOT.jar
if [ ! -f "$jar" ] || [ ! -f modules/cli/target/distkv-cli-0.1.0-SNAPSHOT.jar ]; then
  mvn -B --no-transfer-progress -q -DskipTests -pl modules/server,modules/cli -am package
fi
mkdir -p run
# TLS=1 (make run TLS=1): development certificates in run/tls (scripts/gen-certs.sh), each node
# started from run/tls/nodeN.conf (its conf/nodeN.conf plus distkv.tls), and
# run/tls/client-tls.conf, which conf/client.conf includes, so the CLI and Java clients follow.
tls=${TLS:-0}
rm -f run/tls/client-tls.conf
if [ "$tls" = 1 ]; then
  missing=()
  # node certificates (OU=dist-kv-node): the nodes', and the client's, which the load generator's
  # Java client needs for Artery; one made before that mark existed is made again
  for name in client $(seq -f "node%g" 1 "$n"); do
    openssl x509 -in "run/tls/$name.crt" -noout -subject 2>/dev/null | grep -q dist-kv-node || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] || scripts/gen-certs.sh run/tls "${missing[@]}" >/dev/null
  tlsdir=$(cd run/tls && pwd)
  cat > run/tls/client-tls.conf <<CONF
# Written by scripts/start-cluster.sh with TLS=1 (removed by a start without it); conf/client.conf includes it.
distkv.tls { enabled = on, cert-file = "$tlsdir/client.crt", key-file = "$tlsdir/client.key", ca-file = "$tlsdir/ca.crt" }
CONF
fi
for i in $(seq 1 "$n"); do
  conf=conf/node$i.conf
  [ -f "$conf" ] || { echo "missing $conf" >&2; exit 2; }
  if [ "$tls" = 1 ]; then
    cat > "run/tls/node$i.conf" <<CONF
include "../../conf/node$i.conf"
distkv.tls { enabled = on, cert-file = "run/tls/node$i.crt", key-file = "run/tls/node$i.key", ca-file = "run/tls/ca.crt" }
CONF
    conf=run/tls/node$i.conf
  fi
  if [ -f run/node$i.pid ] && kill -0 "$(cat run/node$i.pid)" 2>/dev/null; then
    echo "node$i already running (pid $(cat run/node$i.pid))"
    continue
  fi
  # shellcheck disable=SC2086  # DISTKV_JAVA_OPTS holds several JVM flags
  nohup java -Xmx1g -Dslf4j.internal.verbosity=ERROR ${DISTKV_JAVA_OPTS:-} -jar "$jar" -c "$conf" > run/node$i.log 2>&1 &
  echo $! > run/node$i.pid
  echo "started node$i (pid $!), log run/node$i.log"
done
if scripts/distkv wait-ready --within 90s; then
  cat <<MSG

dist-kv is running: $n nodes, Artery ports 7101..710$n, RESP ports 6401..640$n$( [ "$tls" = 1 ] && echo ", mutual TLS (certificates in run/tls)"). Try:
  scripts/distkv put hello world
  scripts/distkv get hello
  scripts/distkv get hello --eventual --contact 127.0.0.1:6402
  scripts/distkv -o json get hello
  $( [ "$tls" = 1 ] && echo "redis-cli -p 6401 --tls --cacert run/tls/ca.crt --cert run/tls/client.crt --key run/tls/client.key get hello" || echo "redis-cli -p 6401 get hello")
  scripts/distkv scan --limit 10
  scripts/distkv status --partitions
Stop it with: make stop   (or scripts/stop-cluster.sh)
MSG
else
  echo "cluster did not become ready; see run/node*.log" >&2
  exit 1
fi
