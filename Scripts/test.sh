#!/usr/bin/env bash
# The tests: every suite of the package, in two runs of `swift test`.
# - The suites that drive many real processes or thousands of sockets at once (hostile clients,
#   PID namespaces, the fault sweep, rolling deploys) run after the rest rather than beside it:
#   on two cores they would starve the in-process suites' deadlines.
#   They run one at a time: each is timed against the bounds its issue set.
# - The in-process service-runner suites run with the rest: the suites that compute for seconds
#   (codec, fuzzers, property tests, bulk transfers) run off the cooperative pool at a lower CPU
#   priority (`.offCooperativePool(background: true)`, Tests/HandoffTestSupport), so the
#   runners' readiness checks get their turn (they used to miss 10 s deadlines beside them).
# Extra arguments go to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
heavy="HTTPServerHostile|Keeper|FaultSweep|RollingDeploy|DemoMerge|DemoCheckpoint"
swift build --build-tests "$@"
swift test --skip-build --skip "$heavy" "$@"
swift test --skip-build --filter "$heavy" --no-parallel "$@"
