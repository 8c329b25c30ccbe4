#!/usr/bin/env bash
# The demo: build in release, start handoff-demo, drive keep-alive traffic at it, upgrade it
# UPGRADES times (default 5) with SIGHUP while the traffic runs, and print what happened. The
# traffic hits /count: its counter lives in the demo's state, which every upgrade hands to the
# successor, so the next value after the traffic is one more than the requests made. Meanwhile
# POST /jobs feeds the jobs pipeline (supervised workers, one job in 50 failing once) whose
# mailboxes every upgrade hands over too: every accepted job id must end up in the jobs log
# exactly once. Then the demo is stopped (its state offered to --state-dir) and started again,
# and counts on.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrades=${UPGRADES:-5}

echo "Building handoff-demo and its traffic driver (release)..."
swift build -c release --product handoff-demo 2>&1 | tail -1
swift build -c release --product handoff-bench 2>&1 | tail -1

work=$(mktemp -d)

# alive PID: the process exists and is not a zombie.
alive() { [ -e "/proc/$1" ] && ! grep -qE '\) [ZX] ' "/proc/$1/stat" 2>/dev/null; }

cleanup() {
  local pid
  pid=$(cat "$work/pid" 2>/dev/null || true)
  if [ -n "$pid" ] && alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do alive "$pid" || break; sleep 0.01; done
    # Its state store is about to be removed: a demo that cannot offer its state serves on.
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for PATTERN COUNT [LOG]: until LOG (the demo's log) has COUNT lines matching PATTERN
# (10 s at most).
wait_for() {
  local log=${3:-$work/demo.log}
  for _ in $(seq 1 1000); do
    [ "$(grep -cE "$1" "$log" || true)" -ge "$2" ] && return 0
    sleep 0.01
  done
  echo "timed out waiting for '$1' in the demo's log:" >&2
  cat "$log" >&2
  exit 1
}

# http_get PORT PATH: the last line of the answer to GET PATH.
http_get() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1"; printf 'GET %s HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n' "$2" >&3; tail -n 1 <&3)
}

# start_demo LOG: starts handoff-demo logging to LOG; sets port once it listens.
start_demo() {
  .build/release/handoff-demo --listen 127.0.0.1:0 --pid-file "$work/pid" --state-dir "$work/state" \
    --jobs-log "$work/jobs.log" >"$1" 2>&1 &
  wait_for "listening=" 1 "$1"
  port=$(grep -o 'listening=[^ ]*' "$1" | head -1 | sed 's/.*://')
}

start_demo "$work/demo.log"
pids=("$(cat "$work/pid")")
echo "handoff-demo pid ${pids[0]} serves http://127.0.0.1:$port/"

.build/release/handoff-bench traffic --port "$port" --connections 8 --seconds $((upgrades + 2)) --path /count >"$work/traffic.txt" &
traffic=$!
.build/release/handoff-bench traffic --port "$port" --connections 2 --seconds $((upgrades + 2)) --path /jobs --method POST >"$work/jobs-traffic.txt" &
jobs_traffic=$!

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
wait "$jobs_traffic" || true
answer=$(http_get "$port" /)
next=$(http_get "$port" /count)

# json_field NAME JSON: the integer field NAME of a one-line JSON object.
json_field() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" <<<"$2"; }
# Once the pipeline has persisted every accepted job, the log must hold each id exactly once.
for _ in $(seq 1 1000); do
  jobs=$(http_get "$port" /jobs)
  [ "$(json_field pending "$jobs")" = 0 ] && break
  sleep 0.01
done
accepted=$(json_field accepted "$jobs")
logged=$(wc -l <"$work/jobs.log")
unique=$(sort -un "$work/jobs.log" | wc -l)
expected_ids=$(seq 0 $((accepted - 1)) | sha1sum)
logged_ids=$(sort -n "$work/jobs.log" | sha1sum)
read -r posts refused <<<"$(sed -E 's/.*requests=([0-9]+) failed=[0-9]+ non2xx=([0-9]+).*/\1 \2/' "$work/jobs-traffic.txt")"

# Stop for good: the state goes to --state-dir; the next start takes it from there.
stopped=$(cat "$work/pid")
kill -TERM "$stopped"
wait_for "pid=$stopped generation=[0-9]+ state=stopped" 1
offered=$(grep -oE "pid=$stopped generation=[0-9]+ state=offered .*" "$work/demo.log" | sed 's/.*state=offered //' || true)
start_demo "$work/restart.log"
restarted=$(cat "$work/pid")
restored=$(grep -oE "state=(restored|nothing-to-restore|restore-failed).*" "$work/restart.log" | head -1 | sed 's/^state=//' || true)
after_restart=$(http_get "$port" /count)
jobs_after_restart=$(http_get "$port" /jobs)
kill -TERM "$restarted"
wait_for "pid=$restarted generation=[0-9]+ state=stopped" 1 "$work/restart.log"

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
echo "  counter:         $requests requests to /count, next value $next (expected $((requests + 1)))"
echo "  stop/start:      pid $stopped offered ${offered:-nothing}; pid $restarted ${restored:-restored nothing}"
echo "                   next value $after_restart (expected $((next + 1)))"
echo "  jobs:            $posts POSTs, $accepted accepted, $refused refused (mailbox full); $(json_field done "$jobs") done, $(json_field restarts "$jobs") worker restarts"
echo "  jobs log:        $logged lines, $unique distinct ids; every accepted id exactly once: $([ "$logged_ids" = "$expected_ids" ] && echo yes || echo NO)"
echo "  jobs detail:     $(cat "$work/jobs-traffic.txt")"
echo "                   after the stop/start: $jobs_after_restart"
[ "$failures" = 0 ] && [ "$failed" = 0 ] && [ "$took_over" = "$upgrades" ] \
  && [ "$next" = "$((requests + 1))" ] && [ "$after_restart" = "$((next + 1))" ] \
  && [ "$logged_ids" = "$expected_ids" ] && [ "$accepted" = "$((posts - refused))" ] \
  && [ "$(json_field accepted "$jobs_after_restart")" = "$accepted" ]
