#!/usr/bin/env bash
# Mailbox throughput (every message received and acknowledged) with 1 producer/1 consumer and
# 4/4, against AsyncStream in the same run (ratio printed; the target is at least 0.5), then the
# time from a supervised worker's failure to its replacement running, with no backoff (median,
# p99, max; the target is under 1 ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench mailbox --messages "${MESSAGES:-2000000}" --runs "${RUNS:-5}" --capacity "${CAPACITY:-4096}"
echo
.build/release/handoff-bench restart --count "${RESTARTS:-2000}"
