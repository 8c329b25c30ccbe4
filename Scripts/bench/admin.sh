#!/usr/bin/env bash
# The admin endpoint under wrk: the release demo with --admin on loopback, wrk with 2 threads
# and 50 keep-alive connections for SECONDS_PER_RUN (default 10) against /ready, /health and
# /metrics in turn. Prints requests/s for each; the target is at least 20,000 on /ready.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_PER_RUN:-10}

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
swift build -c release --product handoff-demo >/dev/null

work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
.build/release/handoff-demo --listen 127.0.0.1:0 --admin 127.0.0.1:0 --pid-file "$work/pid" --state-dir "$work/state" >"$work/demo.log" 2>&1 &
for _ in $(seq 1 500); do
  grep -q "state=nothing-to-restore" "$work/demo.log" 2>/dev/null && break
  sleep 0.01
done
port=$(grep -o 'admin=[^ ]*' "$work/demo.log" | head -1 | sed 's/.*://')

rate() { grep -o "Requests/sec: *[0-9.]*" "$1" | grep -o "[0-9.]*$"; }
non2xx() { grep -o "Non-2xx or 3xx responses: [0-9]*" "$1" | grep -o "[0-9]*$" || echo 0; }
errors() { grep -o "Socket errors:.*" "$1" || echo "none"; }

printf '%-10s %12s %10s   %s\n' path "req/s" non-2xx "socket errors"
for path in /ready /health /metrics; do
  wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$port$path" >"$work/wrk.txt"
  printf '%-10s %12s %10s   %s\n' "$path" "$(rate "$work/wrk.txt")" "$(non2xx "$work/wrk.txt")" "$(errors "$work/wrk.txt")"
  [ "$path" = /ready ] && ready_rate=$(rate "$work/wrk.txt")
done
awk -v r="$ready_rate" 'BEGIN { printf "/ready: %.0f req/s against the 20000 target (%.2fx)\n", r, r / 20000 }'
