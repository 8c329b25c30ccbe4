#!/usr/bin/env bash
# Upgrade latency: SIGHUP → new process READY and SIGHUP → old process gone, median and max over
# COUNT upgrades (default 20): the idle demo built normally and with -static-stdlib, then the
# fixture handing over 1, 100, 1000 and 10000 extra descriptors (and 10000 static). Each line is
# followed by the bare start → exit of the same binary, timed in the same run, and the protocol's
# own cost: READY minus that bare start, and READY as a multiple of it. The dynamic demo is also
# measured through the keeper that runs it as PID 1 of a container, with the ratio to the direct path.
# The static demo is also linked as a non-PIE executable (`-Xlinker -no-pie`): the dynamic loader
# then has no relocations of its own code to apply at start (-0.5 ms here), at the price of ASLR
# for the executable itself; the shared libraries are still placed at random.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${COUNT:-20}

swift build -c release --product handoff-demo >/dev/null
swift build -c release --product handoff-fixture >/dev/null
swift build -c release --product handoff-bench >/dev/null
swift build -c release --scratch-path .build-static -Xswiftc -static-stdlib --product handoff-demo >/dev/null
swift build -c release --scratch-path .build-static -Xswiftc -static-stdlib --product handoff-fixture >/dev/null
swift build -c release --scratch-path .build-static-nopie -Xswiftc -static-stdlib -Xlinker -no-pie --product handoff-demo >/dev/null
bench=.build/release/handoff-bench

echo "== idle demo, dynamic stdlib; then through the keeper (PID 1's, HANDOFF_KEEPER=always) in the same run"
"$bench" upgrades --binary .build/release/handoff-demo --count "$count" --keeper -- --listen 127.0.0.1:0
echo "== idle demo, -static-stdlib"
"$bench" upgrades --binary .build-static/release/handoff-demo --count "$count" -- --listen 127.0.0.1:0
echo "== idle demo, -static-stdlib, linked without PIE"
"$bench" upgrades --binary .build-static-nopie/release/handoff-demo --count "$count" -- --listen 127.0.0.1:0
echo "== handed-over descriptors (fixture, dynamic stdlib)"
for n in 1 100 1000 10000; do
  "$bench" upgrades --binary .build/release/handoff-fixture --count "$count" --extra-fds "$n"
done
echo "== handed-over descriptors (fixture, -static-stdlib)"
"$bench" upgrades --binary .build-static/release/handoff-fixture --count "$count" --extra-fds 10000
