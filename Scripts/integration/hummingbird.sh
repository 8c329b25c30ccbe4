#!/usr/bin/env bash
# A Hummingbird 2 server upgraded under keep-alive load (Fixtures/HandoffHummingbird): wrk with 2
# threads and 50 connections for SECONDS_PER_RUN (default 20) seconds on loopback, with a SIGHUP
# every 2 s, once with Hummingbird's own graceful shutdown as the drain (the baseline) and once
# with HandoffHummingbird's handover, plus a run without upgrades for the throughput ratio.
# Then SIGHUP → new PID file, idle, median of COUNT (default 10), for handoff-hummingbird and
# handoff-demo in the same run (CONFIGURATION=debug for a quick look; SKIP_BUILD=1 to use what is
# built). Exits non-zero if HandoffHummingbird had any socket error,
# non-2xx response or failed upgrade, or fewer than 9 upgrades.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${SECONDS_PER_RUN:-20}
count=${COUNT:-10}

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
fi
configuration=${CONFIGURATION:-release}
if [ -z "${SKIP_BUILD:-}" ]; then
  swift build -c "$configuration" --package-path Fixtures/HandoffHummingbird --product handoff-hummingbird >/dev/null
  swift build -c "$configuration" --product handoff-demo >/dev/null
fi
hummingbird=Fixtures/HandoffHummingbird/.build/$configuration/handoff-hummingbird
demo=.build/$configuration/handoff-demo

work=$(mktemp -d)
pidfile=$work/none.pid
trap 'kill $(cat "$pidfile" 2>/dev/null) 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT

# start NAME BINARY ARGS...: runs it on a free loopback port, with a PID file of its own (a late
# process of an earlier run must not redirect this run's signals); sets $port.
start() {
  pidfile="$work/$1.pid"
  rm -f "$pidfile" "$work/server.log"
  shift
  "$@" --listen 127.0.0.1:0 --pid-file "$pidfile" >"$work/server.log" 2>&1 &
  for _ in $(seq 1 1000); do
    grep -q "listening=" "$work/server.log" 2>/dev/null && [ -s "$pidfile" ] && break
    sleep 0.01
  done
  port=$(grep -o 'listening=[^ ]*' "$work/server.log" | head -1 | sed 's/.*://')
}

stop() {
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid"
  for _ in $(seq 1 1000); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  kill -KILL "$pid" 2>/dev/null || true
}

# wrk prints socket errors and non-2xx counts only when there are some.
socket_errors() { grep -o "Socket errors:.*" "$1" || echo "Socket errors: connect 0, read 0, write 0, timeout 0"; }
non2xx() { grep -o "Non-2xx or 3xx responses: [0-9]*" "$1" | grep -o "[0-9]*$" || echo 0; }
requests() { grep -o "^ *[0-9]* requests in" "$1" | grep -o "[0-9]*" | head -1; }
rate() { grep -o "Requests/sec: *[0-9.]*" "$1" | grep -o "[0-9.]*$"; }

# load NAME UPGRADES BINARY ARGS...: wrk against a fresh server, with a SIGHUP every 2 s if UPGRADES.
load() {
  local name=$1 upgrading=$2
  shift 2
  start "$name" "$@" --state-dir "$work/state-$name"
  wrk -t2 -c50 -d"${seconds}s" "http://127.0.0.1:$port/" >"$work/$name.txt" &
  local wrk_pid=$! upgrades=0 end=$((SECONDS + seconds - 1))
  if [ "$upgrading" = yes ]; then
    while [ $SECONDS -lt $end ]; do
      sleep 2
      kill -HUP "$(cat "$pidfile")" && upgrades=$((upgrades + 1))
    done
  fi
  wait $wrk_pid
  for _ in $(seq 1 500); do
    local finished
    finished=$(grep -cE "event=(took-over|upgrade-failed|upgrade-refused)" "$work/server.log" || true)
    [ "$finished" -ge "$upgrades" ] && break
    sleep 0.01
  done
  echo "$upgrades $(grep -c "event=took-over" "$work/server.log" || true) $(grep -c "event=upgrade-failed" "$work/server.log" || true)" >"$work/$name.upgrades"
  stop
}

# pid_latency BINARY: SIGHUP → PID file naming the new process, idle, COUNT times; prints the median in ms.
pid_latency() {
  start "latency-$(basename "$1")" "$@" --state-dir "$work/state-latency-$(basename "$1")"
  local samples=()
  for _ in $(seq 1 "$count"); do
    local old begin now
    old=$(cat "$pidfile")
    begin=$(date +%s%N)
    kill -HUP "$old"
    for _ in $(seq 1 5000); do
      now=$(cat "$pidfile" 2>/dev/null || true)
      [ -n "$now" ] && [ "$now" != "$old" ] && break
      sleep 0.001
    done
    samples+=($(( ($(date +%s%N) - begin) / 1000 )))
    # The next SIGHUP is refused until the old process has gone.
    for _ in $(seq 1 1000); do kill -0 "$old" 2>/dev/null || break; sleep 0.005; done
  done
  stop
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

[ -n "${ONLY_HANDOFF:-}" ] || load none no "$hummingbird"
[ -n "${ONLY_HANDOFF:-}" ] || load stock yes "$hummingbird" --drain quiesce
load handoff yes "$hummingbird" --drain handover

row() {
  read -r requested took failed <"$work/$2.upgrades"
  printf '%-34s %9s %10s %8s %8s   %s\n' "$1" "$(requests "$work/$2.txt")" "$(rate "$work/$2.txt")" "$(non2xx "$work/$2.txt")" "$took/$requested" "$(socket_errors "$work/$2.txt")"
}
printf '%-34s %9s %10s %8s %8s   %s\n' run requests req/s non-2xx upgrades "socket errors"
row "Hummingbird, no upgrades" none
row "Hummingbird stock shutdown (quiesce)" stock
row "HandoffHummingbird (handover)" handoff
awk -v a="$(rate "$work/handoff.txt")" -v b="$(rate "$work/none.txt")" 'BEGIN { printf "throughput with upgrades / without (HandoffHummingbird): %.3f\n", a / b }'
awk -v a="$(rate "$work/stock.txt")" -v b="$(rate "$work/none.txt")" 'BEGIN { printf "throughput with upgrades / without (stock shutdown):      %.3f\n", a / b }'

hb_ms=$(pid_latency "$hummingbird")
if [ -x "$demo" ]; then
  demo_ms=$(pid_latency "$demo")
  echo "SIGHUP → new PID file, idle, median of $count: handoff-hummingbird ${hb_ms} ms, handoff-demo ${demo_ms} ms"
  awk -v a="$hb_ms" -v b="$demo_ms" 'BEGIN { printf "PID file latency hummingbird / demo: %.2f\n", a / b }'
else
  echo "SIGHUP → new PID file, idle, median of $count: handoff-hummingbird ${hb_ms} ms ($demo not built)"
fi

read -r requested took failed <"$work/handoff.upgrades"
if grep -q "Socket errors" "$work/handoff.txt" || [ "$(non2xx "$work/handoff.txt")" != 0 ] || [ "$failed" != 0 ] || [ "$took" -lt 9 ]; then
  echo "FAILED: HandoffHummingbird had errors during upgrades (or fewer than 9 upgrades)"
  exit 1
fi
