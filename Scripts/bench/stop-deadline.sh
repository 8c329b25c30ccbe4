#!/usr/bin/env bash
# How far past its deadline a stop of 10 services ends, when every service ignores the graceful
# stop and has to be cancelled: with per-service deadlines (20 ms each, cancelled one after
# another in reverse order) and with a total stop deadline. Prints median and max of 20 stops;
# the target is at most 50 ms past the deadline.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench stop-deadline --services "${SERVICES:-10}" --count "${COUNT:-20}" --deadline-ms "${DEADLINE_MS:-20}"
