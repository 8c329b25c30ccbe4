#!/usr/bin/env bash
# The admin endpoint under wrk: the release demo with --admin on loopback, wrk with 2 threads
# and 50 keep-alive connections for SECONDS_PER_RUN (default 10) against /ready, /health and
# /metrics in turn. Prints requests/s for each; the target is at least 20,000 on /ready.
# Then /ready with 20 connections, RUNS times (default 3) alone and RUNS times with 1,000 slow
# clients attached (handoff-bench slow-clients: one header byte a second each), alternating;
# prints the medians and their ratio (target at least 0.8).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_PER_RUN:-10}

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
swift build -c release --product handoff-demo >/dev/null
swift build -c release --product handoff-bench >/dev/null
ulimit -n 8192

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

runs=${RUNS:-3}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >"$work/alone.txt"; : >"$work/slow.txt"
for _ in $(seq 1 "$runs"); do
  wrk -t2 -c20 -d"${seconds}s" "http://127.0.0.1:$port/ready" >"$work/wrk.txt"
  rate "$work/wrk.txt" >>"$work/alone.txt"
  .build/release/handoff-bench slow-clients --port "$port" --count 1000 --seconds $((seconds + 30)) >"$work/slow.log" 2>&1 &
  slow=$!
  for _ in $(seq 1 3000); do grep -q "attached=" "$work/slow.log" 2>/dev/null && break; sleep 0.01; done
  wrk -t2 -c20 -d"${seconds}s" "http://127.0.0.1:$port/ready" >"$work/wrk.txt"
  rate "$work/wrk.txt" >>"$work/slow.txt"
  kill "$slow" 2>/dev/null; wait "$slow" 2>/dev/null || true
done
alone=$(median <"$work/alone.txt")
slowly=$(median <"$work/slow.txt")
echo "/ready alone, runs:            $(tr '\n' ' ' <"$work/alone.txt")"
echo "/ready with 1000 slow clients: $(tr '\n' ' ' <"$work/slow.txt")"
awk -v a="$alone" -v s="$slowly" 'BEGIN { printf "/ready median: %.0f req/s alone, %.0f req/s with 1000 slow clients: ratio %.2f (target >= 0.8)\n", a, s, s / a }'
