#!/usr/bin/env bash
# Upgrades under load: wrk with 2 threads and 50 keep-alive connections for SECONDS (default 20)
# against the release demo, once without upgrades (the baseline) and once with a SIGHUP every
# 2 s. Prints requests, socket errors by kind, non-2xx, and the throughput ratio. Exits non-zero
# if the run with upgrades had any socket error or non-2xx response.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_PER_RUN:-20}

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
swift build -c release --product handoff-demo >/dev/null

work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

start_demo() {
  rm -f "$work/pid" "$work/demo.log"
  .build/release/handoff-demo --listen 127.0.0.1:0 --pid-file "$work/pid" >"$work/demo.log" 2>&1 &
  for _ in $(seq 1 500); do
    grep -q "listening=" "$work/demo.log" 2>/dev/null && break
    sleep 0.01
  done
  port=$(grep -o 'listening=[^ ]*' "$work/demo.log" | head -1 | sed 's/.*://')
}

# wrk prints socket errors and non-2xx counts only when there are some.
socket_errors() { grep -o "Socket errors:.*" "$1" || echo "Socket errors: connect 0, read 0, write 0, timeout 0"; }
non2xx() { grep -o "Non-2xx or 3xx responses: [0-9]*" "$1" | grep -o "[0-9]*$" || echo 0; }
requests() { grep -o "^ *[0-9]* requests in" "$1" | grep -o "[0-9]*" | head -1; }
rate() { grep -o "Requests/sec: *[0-9.]*" "$1" | grep -o "[0-9.]*$"; }

start_demo
wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$port/" >"$work/baseline.txt"
kill -TERM "$(cat "$work/pid")"; sleep 0.5

start_demo
wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$port/" >"$work/upgrades.txt" &
wrk_pid=$!
upgrades=0
end=$((SECONDS + seconds - 1))
while [ $SECONDS -lt $end ]; do
  sleep 2
  kill -HUP "$(cat "$work/pid")" && upgrades=$((upgrades + 1))
done
wait $wrk_pid
# The last upgrade may still be finishing: wait (bounded) until every request has an outcome.
for _ in $(seq 1 500); do
  done_count=$(grep -cE "event=(took-over|upgrade-failed|upgrade-refused)" "$work/demo.log" || true)
  [ "$done_count" -ge "$upgrades" ] && break
  sleep 0.01
done
succeeded=$(grep -c "event=took-over" "$work/demo.log" || true)
failed=$(grep -c "event=upgrade-failed" "$work/demo.log" || true)

printf '%-18s %12s %12s %10s   %s\n' run requests req/s non-2xx "socket errors"
printf '%-18s %12s %12s %10s   %s\n' "no upgrades" "$(requests "$work/baseline.txt")" "$(rate "$work/baseline.txt")" "$(non2xx "$work/baseline.txt")" "$(socket_errors "$work/baseline.txt")"
printf '%-18s %12s %12s %10s   %s\n' "upgrade every 2 s" "$(requests "$work/upgrades.txt")" "$(rate "$work/upgrades.txt")" "$(non2xx "$work/upgrades.txt")" "$(socket_errors "$work/upgrades.txt")"
echo "upgrades: $upgrades requested, $succeeded took over, $failed failed"
awk -v a="$(rate "$work/upgrades.txt")" -v b="$(rate "$work/baseline.txt")" 'BEGIN { printf "throughput with upgrades / without: %.3f\n", a / b }'

if grep -q "Socket errors" "$work/upgrades.txt" || [ "$(non2xx "$work/upgrades.txt")" != 0 ] || [ "$failed" != 0 ]; then
  echo "FAILED: errors during upgrades"
  exit 1
fi
