#!/usr/bin/env bash
# State checkpoints: how long each one pauses the holder's request path (snapshot under the
# state's lock, encoding outside it), for 1 KiB and 10 MiB of state, against the same windows
# with no checkpoint running.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench checkpoint "$@"
