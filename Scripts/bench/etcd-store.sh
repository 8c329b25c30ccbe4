#!/usr/bin/env bash
# The etcd store: offer → claim → commit latency for 1 KiB, 1 MiB and 5 MiB of state, p50 and p99,
# against a private etcd on loopback (Scripts/bench/private-etcd.sh), and the same through a
# DirectoryStore as the baseline. DATA_DIR puts etcd's data elsewhere (/dev/shm
# for memory). The same etcd also listens on https with client certificates required (made here
# with openssl), and the store is measured over TLS too, with its ratio to plain http.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
. Scripts/bench/private-etcd.sh
secure=$(free_port)
# A CA, a server certificate for 127.0.0.1 (etcd's gateway also shows it as a client certificate to
# etcd itself, hence clientAuth) and a client certificate.
tls="$work/tls"
mkdir -p "$tls"
(
  cd "$tls"
  ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  openssl req -x509 $ec -keyout ca.key -out ca.crt -days 1 -subj /CN=handoff-bench-ca
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  for who in server client; do
    openssl req -new $ec -keyout $who.key -out $who.csr -subj /CN=$who
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt -days 1 -extfile $who.ext
  done
) >"$work/openssl.log" 2>&1
start_etcd ",https://127.0.0.1:$secure" \
  --cert-file "$tls/server.crt" --key-file "$tls/server.key" --client-cert-auth --trusted-ca-file "$tls/ca.crt"
.build/release/handoff-bench etcd --endpoint "http://127.0.0.1:$client" --directory "$work/store" \
  --secure-endpoint "https://127.0.0.1:$secure" --ca "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key"
