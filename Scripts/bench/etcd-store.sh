#!/usr/bin/env bash
# The etcd store: offer → claim → commit latency for 1 KiB, 1 MiB and 5 MiB of state, p50 and p99,
# against a private etcd on loopback (installed from Debian's etcd-server if missing, with its
# default settings and its data on disk, so every write is fsynced as in production), and the
# same through a DirectoryStore as the baseline. DATA_DIR puts etcd's data elsewhere (/dev/shm
# for memory). The same etcd also listens on https with client certificates required (made here
# with openssl), and the store is measured over TLS too, with its ratio to plain http.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -x /usr/bin/etcd ] || ! command -v openssl >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server openssl
fi
swift build -c release --product handoff-bench >/dev/null

work=$(mktemp -d "${DATA_DIR:-${TMPDIR:-/tmp}}/handoff-etcd-bench.XXXXXX")
etcd_pid=
cleanup() {
  if [ -n "$etcd_pid" ]; then kill -TERM "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Two free loopback ports: nothing answers a connection to them.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
client=$(free_port)
secure=$(free_port)
peer=$(free_port)
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
/usr/bin/etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$client,https://127.0.0.1:$secure" \
  --advertise-client-urls "http://127.0.0.1:$client,https://127.0.0.1:$secure" \
  --cert-file "$tls/server.crt" --key-file "$tls/server.key" --client-cert-auth --trusted-ca-file "$tls/ca.crt" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "bench=http://127.0.0.1:$peer" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$client") 2>/dev/null && grep -q "ready to serve client requests" "$work/etcd.log"; then break; fi
  sleep 0.05
done
echo "etcd $(/usr/bin/etcd --version | head -1 | awk '{print $3}') on 127.0.0.1:$client, data in $work"
.build/release/handoff-bench etcd --endpoint "http://127.0.0.1:$client" --directory "$work/store" \
  --secure-endpoint "https://127.0.0.1:$secure" --ca "$tls/ca.crt" --cert "$tls/client.crt" --key "$tls/client.key"
