#!/usr/bin/env bash
# The operator's paths, release build: status round trips over the control socket (median, max
# of 200); upgrades requested over the control socket (request → answer with the new pid)
# against upgrades by SIGHUP (signal → "replaced"), 10 each, alternating, with the ratio; and
# the cost of one sd_notify message (a socket per message) against a send on a kept socket.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-demo >/dev/null
swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench control --binary "$PWD/.build/release/handoff-demo" \
  --upgrades "${UPGRADES:-10}" --statuses "${STATUSES:-200}" --notifications "${NOTIFICATIONS:-20000}"
