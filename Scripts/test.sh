#!/usr/bin/env bash
# The tests: every suite of the package, in two runs. The suites that drive many real processes
# or thousands of sockets at once (hostile clients, PID namespaces, the fault sweep, rolling
# deploys) run after the rest rather than beside it: on two cores they would starve the
# in-process suites' deadlines. Extra arguments go to both runs of `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
heavy="HTTPServerHostile|Keeper|FaultSweep|RollingDeploy|DemoMerge|DemoCheckpoint"
swift build --build-tests "$@"
swift test --skip-build --skip "$heavy" "$@"
swift test --skip-build --filter "$heavy" "$@"
