#!/usr/bin/env bash
# The time from a supervised worker's failure to its replacement running, with no backoff:
# one-for-one, and one-for-all with four children (median, p99, max; the target is under 1 ms).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench restart --count "${RESTARTS:-2000}"
