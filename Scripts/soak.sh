#!/usr/bin/env bash
# Soak: upgrades the demo N times (default 1000; `Scripts/soak.sh 200` for fewer) under
# keep-alive load, sampling in every generation, once it has served for a moment, the serving
# process's open descriptors and resident memory. Prints failed requests and the min/max of
# both across generations; exits non-zero if a request failed, an upgrade failed, the
# descriptor count is not the same in every generation from the 2nd on, or resident memory
# strays more than 10% from its median.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrades=${1:-${UPGRADES:-1000}}

echo "Building handoff-demo and its traffic driver (release)..."
swift build -c release --product handoff-demo 2>&1 | tail -1
swift build -c release --product handoff-bench 2>&1 | tail -1

work=$(mktemp -d)
alive() { [ -e "/proc/$1" ] && ! grep -qE '\) [ZX] ' "/proc/$1/stat" 2>/dev/null; }
cleanup() {
  [ -n "${traffic:-}" ] && kill -TERM "$traffic" 2>/dev/null || true
  local pid
  pid=$(cat "$work/pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

.build/release/handoff-demo --listen 127.0.0.1:0 --pid-file "$work/pid" --state-dir "$work/state" >"$work/demo.log" 2>&1 &
for _ in $(seq 1 1000); do grep -q "listening=" "$work/demo.log" && break; sleep 0.01; done
port=$(grep -o 'listening=[^ ]*' "$work/demo.log" | head -1 | sed 's/.*://')
for _ in $(seq 1 1000); do [ -s "$work/pid" ] && break; sleep 0.01; done
first=$(cat "$work/pid")
echo "handoff-demo pid $(cat "$work/pid") serves http://127.0.0.1:$port/; $upgrades upgrades under load"

.build/release/handoff-bench traffic --port "$port" --connections 8 --seconds 100000 --path /count >"$work/traffic.txt" &
traffic=$!

# settle PID: until a successor is done with its predecessor (its channel closed), then a
# moment of serving, so every generation is sampled at the same point of its life.
settle() {
  if [ "$1" != "$first" ]; then
    for _ in $(seq 1 2000); do
      grep -q "pid=$1 generation=[0-9]* event=predecessor-exited" "$work/demo.log" && break
      sleep 0.005
    done
  fi
  sleep 0.02
}

# sample PID: "<open fds> <resident KiB>"
sample() {
  local fds rss
  fds=$(ls "/proc/$1/fd" | wc -l)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
  echo "$fds $rss"
}

: >"$work/samples"
failed_upgrades=0
start=$(date +%s)
for i in $(seq 1 "$upgrades"); do
  old=$(cat "$work/pid")
  settle "$old"
  echo "$i $(sample "$old")" >>"$work/samples"
  kill -HUP "$old"
  for _ in $(seq 1 2000); do
    new=$(cat "$work/pid")
    [ "$new" != "$old" ] && ! alive "$old" && break
    sleep 0.005
  done
  if [ "$(cat "$work/pid")" = "$old" ]; then
    failed_upgrades=$((failed_upgrades + 1))
    echo "upgrade $i did not complete: pid $old still serves" >&2
  fi
  [ $((i % 100)) = 0 ] && echo "  $i upgrades, $(($(date +%s) - start)) s"
done
settle "$(cat "$work/pid")"
echo "$((upgrades + 1)) $(sample "$(cat "$work/pid")")" >>"$work/samples"

kill -TERM "$traffic"
wait "$traffic" || true
traffic=
read -r requests failures <<<"$(sed -E 's/.*requests=([0-9]+) failed=([0-9]+).*/\1 \2/' "$work/traffic.txt")"

# Generations 2 and later: the first one opened its listener itself and has not been upgraded.
read -r fd_min fd_max rss_min rss_max rss_median <<<"$(awk 'NR > 1 {print}' "$work/samples" | sort -k3 -n | awk '
  { fds[NR] = $2; rss[NR] = $3 }
  END {
    fmin = fmax = fds[1]
    for (i = 1; i <= NR; i++) { if (fds[i] < fmin) fmin = fds[i]; if (fds[i] > fmax) fmax = fds[i] }
    print fmin, fmax, rss[1], rss[NR], rss[int((NR + 1) / 2)]
  }')"
rss_low=$(echo "scale=1; ($rss_min - $rss_median) * 100 / $rss_median" | bc)
rss_high=$(echo "scale=1; ($rss_max - $rss_median) * 100 / $rss_median" | bc)
echo
echo "Soak: $upgrades upgrades in $(($(date +%s) - start)) s"
echo "  upgrades failed:   $failed_upgrades"
echo "  requests:          $requests on 8 keep-alive connections, $failures failed"
echo "  traffic detail:    $(cat "$work/traffic.txt")"
echo "  open fds:          min $fd_min, max $fd_max (generations 2..$((upgrades + 1)); generation 1: $(awk 'NR == 1 {print $2}' "$work/samples"))"
echo "  resident memory:   min $rss_min KiB, max $rss_max KiB, median $rss_median KiB ($rss_low% .. +$rss_high%)"
ok=1
[ "$failures" = 0 ] || { echo "FAIL: $failures requests failed"; ok=0; }
[ "$failed_upgrades" = 0 ] || { echo "FAIL: $failed_upgrades upgrades failed"; ok=0; }
[ "$fd_min" = "$fd_max" ] || { echo "FAIL: the open descriptor count changed across generations"; ok=0; }
awk -v low="$rss_low" -v high="$rss_high" 'BEGIN { exit !(low >= -10 && high <= 10) }' || { echo "FAIL: resident memory strays more than 10% from its median"; ok=0; }
[ "$ok" = 1 ] && echo "PASS"
[ "$ok" = 1 ]
