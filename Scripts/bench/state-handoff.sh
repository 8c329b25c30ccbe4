#!/usr/bin/env bash
# State over the control channel: the handoff pause (old process stops accepting → new process
# has applied the state) for 1 MiB, 100 MiB and 1 GiB of state, and bytes/pause, a lower bound
# on the channel's throughput (the pause also covers encoding, checksums and decoding).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product handoff-fixture >/dev/null
swift build -c release --product handoff-bench >/dev/null
for bytes in 1048576 104857600 1073741824; do
  count=5
  [ "$bytes" -ge 1073741824 ] && count=3
  .build/release/handoff-bench pause --binary .build/release/handoff-fixture --bytes "$bytes" --count "$count"
done
