#!/usr/bin/env bash
# Development certificates for dist-kv's mutual TLS (docs/security.md): a CA and, signed by it, a
# certificate per name (default: node1..node4 and client), each as PEM (NAME.crt, NAME.key in
# PKCS#8) and as a PKCS12 store (NAME.p12, password "changeit"), plus the CA as ca.crt and as a
# PKCS12 trust store (ca.p12, "changeit"). EC P-256 keys; certificates for 127.0.0.1 and
# localhost, usable as server and as client. Not for production: the CA key sits beside them.
# Names before --users get node certificates (subject OU=dist-kv-node, CN=NAME): they may talk
# Artery, the nodes' network (nodes, and Java clients trusted as much). Names after --users get
# user certificates (CN=NAME only): RESP, the CLI and the Java client's RESP transport, which
# log them in as the user of that name.
#
#   scripts/gen-certs.sh [DIR] [NAME ...] [--users NAME ...]   # DIR defaults to run/tls (an existing CA is reused)
#
# Needs openssl and keytool (the JDK's).
set -euo pipefail
DIR=${1:-run/tls}
shift || true
NAMES=()
USERS=()
users=0
for a in "$@"; do
  if [ "$a" = --users ]; then users=1; elif [ $users = 1 ]; then USERS+=("$a"); else NAMES+=("$a"); fi
done
[ ${#NAMES[@]} -gt 0 ] || [ ${#USERS[@]} -gt 0 ] || NAMES=(node1 node2 node3 node4 client)
for tool in openssl keytool; do
  command -v "$tool" >/dev/null || { echo "gen-certs: $tool is not installed" >&2; exit 1; }
done
mkdir -p "$DIR"
cd "$DIR"
if [ ! -f ca.key ] || [ ! -f ca.crt ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
    -days 3650 -subj "/CN=dist-kv development CA $(date +%s%N)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  rm -f ca.p12
  keytool -importcert -noprompt -storetype PKCS12 -keystore ca.p12 -storepass changeit -alias ca -file ca.crt >/dev/null 2>&1
fi
ext=$(mktemp)
trap 'rm -f "$ext"' EXIT
printf "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n" > "$ext"
certificate() { # NAME SUBJECT
  local name=$1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "$2" 2>/dev/null
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 825 \
    -extfile "$ext" 2>/dev/null
  openssl pkcs12 -export -in "$name.crt" -inkey "$name.key" -certfile ca.crt -name "$name" -out "$name.p12" \
    -passout pass:changeit
  rm -f "$name.csr"
}
for name in ${NAMES[@]+"${NAMES[@]}"}; do certificate "$name" "/OU=dist-kv-node/CN=$name"; done
for name in ${USERS[@]+"${USERS[@]}"}; do certificate "$name" "/CN=$name"; done
chmod 600 ./*.key
echo "node certificates: ${NAMES[*]:-none}; user certificates: ${USERS[*]:-none}; signed by $(pwd)/ca.crt"
