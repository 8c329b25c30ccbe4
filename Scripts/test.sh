#!/usr/bin/env bash
# The tests: every suite of the package, in three runs of `swift test`.
# - The suites that drive many real processes or thousands of sockets at once (hostile clients,
#   PID namespaces, the fault sweep, rolling deploys) run after the rest rather than beside it:
#   on two cores they would starve the in-process suites' deadlines.
#   They run one at a time: each is timed against the bounds its issue set.
# - The in-process service-runner suites run on their own too: beside the etcd and store suites
#   their readiness polls miss 10 s deadlines on two cores (each passes alone, every time; see
#   the closing note of the stop that split them out — the cause is not found yet).
# Extra arguments go to every run.
set -euo pipefail
cd "$(dirname "$0")/.."
heavy="HTTPServerHostile|Keeper|FaultSweep|RollingDeploy|DemoMerge|DemoCheckpoint"
runner="ServiceRunnerTests|RunnerDrainTests|RunnerGenericDrainTests|ScopeAndHealthTests|AdminServerTests|WorkerGroupTests|SupervisorTests"
swift build --build-tests "$@"
swift test --skip-build --skip "$heavy|$runner" "$@"
swift test --skip-build --filter "$runner" "$@"
swift test --skip-build --filter "$heavy" --no-parallel "$@"
