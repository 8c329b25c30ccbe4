#!/usr/bin/env bash
# Rolling deploys: A offers 1 KiB of state, running B (watching) claims, merges and commits it;
# offer → merged p50 and p99
# against a private etcd on loopback (Scripts/bench/private-etcd.sh), and the same through a
# DirectoryStore as the baseline. DATA_DIR puts etcd's data elsewhere (/dev/shm for memory).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
. Scripts/bench/private-etcd.sh
start_etcd ""
.build/release/handoff-bench merge --endpoint "http://127.0.0.1:$client" --directory "$work/store"
