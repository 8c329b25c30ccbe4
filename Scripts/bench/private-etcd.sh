# Sourced by the etcd benchmarks (etcd-store.sh, merge.sh): a private etcd on loopback, installed
# from Debian's etcd-server if missing, with its default settings and its data on disk, so every
# write is fsynced as in production. DATA_DIR puts its data elsewhere (/dev/shm for memory).
# Sets $work (removed at exit, with etcd stopped), $client (its http port) and free_port;
# start_etcd EXTRA_CLIENT_URLS [ETCD_ARGS...] starts it and waits until it serves.
if [ ! -x /usr/bin/etcd ] || ! command -v openssl >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server openssl
fi

work=$(mktemp -d "${DATA_DIR:-${TMPDIR:-/tmp}}/handoff-etcd-bench.XXXXXX")
etcd_pid=
cleanup() {
  if [ -n "$etcd_pid" ]; then kill -TERM "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free loopback port: nothing answers a connection to it.
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}
client=$(free_port)
peer=$(free_port)

start_etcd() {
  local extra=$1
  shift
  /usr/bin/etcd --name bench --data-dir "$work/etcd" \
    --listen-client-urls "http://127.0.0.1:$client$extra" --advertise-client-urls "http://127.0.0.1:$client$extra" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" "$@" >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$client") 2>/dev/null && grep -q "ready to serve client requests" "$work/etcd.log"; then break; fi
    sleep 0.05
  done
  echo "etcd $(/usr/bin/etcd --version | head -1 | awk '{print $3}') on 127.0.0.1:$client, data in $work"
}
