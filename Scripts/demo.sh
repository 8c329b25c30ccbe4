#!/usr/bin/env bash
# The demo: build in release, start handoff-demo, drive keep-alive traffic at it, upgrade it
# UPGRADES times (default 5) with SIGHUP while the traffic runs, and print what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrades=${UPGRADES:-5}

echo "Building handoff-demo and its traffic driver (release)..."
swift build -c release --product handoff-demo 2>&1 | tail -1
swift build -c release --product handoff-bench 2>&1 | tail -1

work=$(mktemp -d)
trap 'kill -TERM $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

# wait_for PATTERN COUNT: until the demo's log has COUNT lines matching PATTERN (10 s at most).
wait_for() {
  for _ in $(seq 1 1000); do
    [ "$(grep -cE "$1" "$work/demo.log" || true)" -ge "$2" ] && return 0
    sleep 0.01
  done
  echo "timed out waiting for '$1' in the demo's log:" >&2
  cat "$work/demo.log" >&2
  exit 1
}

.build/release/handoff-demo --listen 127.0.0.1:0 --pid-file "$work/pid" >"$work/demo.log" 2>&1 &
wait_for "listening=" 1
port=$(grep -o 'listening=[^ ]*' "$work/demo.log" | head -1 | sed 's/.*://')
pids=("$(cat "$work/pid")")
echo "handoff-demo pid ${pids[0]} serves http://127.0.0.1:$port/"

.build/release/handoff-bench traffic --port "$port" --connections 8 --seconds $((upgrades + 2)) --path /count >"$work/traffic.txt" &
traffic=$!

for i in $(seq 1 "$upgrades"); do
  sleep 1
  old=$(cat "$work/pid")
  kill -HUP "$old"
  wait_for "event=(took-over|upgrade-failed)" "$i"
  # The process that takes over writes the PID file; wait until it names the new one.
  for _ in $(seq 1 500); do [ "$(cat "$work/pid")" != "$old" ] && break; sleep 0.01; done
  pids+=("$(cat "$work/pid")")
  echo "upgrade $i: pid $old -> $(cat "$work/pid")"
done

wait "$traffic" || true
answer=$(exec 3<>"/dev/tcp/127.0.0.1/$port"; printf 'GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n' >&3; tail -n 1 <&3)
kill -TERM "$(cat "$work/pid")"

took_over=$(grep -c "event=took-over" "$work/demo.log" || true)
failed=$(grep -c "event=upgrade-failed" "$work/demo.log" || true)
read -r requests failures <<<"$(sed -E 's/.*requests=([0-9]+) failed=([0-9]+).*/\1 \2/' "$work/traffic.txt")"
echo
echo "Summary"
echo "  upgrades:        $took_over succeeded, $failed failed"
echo "  pids:            ${pids[*]}"
echo "  now serving:     $answer"
echo "  requests:        $requests on 8 keep-alive connections, $failures failed"
echo "  traffic detail:  $(cat "$work/traffic.txt")"
[ "$failures" = 0 ] && [ "$failed" = 0 ] && [ "$took_over" = "$upgrades" ]
