#!/usr/bin/env bash
# The fault sweep, repeated: every step of the upgrade protocol × {old, new process} ×
# {SIGKILL, stop, malformed frame}, REPETITIONS times each (default 20), through the test
# "A fault at every protocol step" (Tests/HandoffIntegrationTests/Faults/FaultSweepTests.swift). Each
# repetition checks that exactly one process serves on with the right count, that no
# descriptor leaked, and that the next upgrade succeeds. Prints cases × repetitions and the
# outcome; exits non-zero if any repetition failed.
set -euo pipefail
cd "$(dirname "$0")/.."
repetitions=${1:-${REPETITIONS:-20}}

swift build --build-tests 2>&1 | tail -1
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if HANDOFF_FAULT_REPETITIONS=$repetitions swift test --skip-build --filter FaultSweepTests >"$log" 2>&1; then status=0; else status=1; fi
issues=$(grep -c 'recorded an issue' "$log" || true)
grep -E 'recorded an issue|↳' "$log" | grep -v 'Testing Library\|Target Platform' | head -40 || true
total=42
echo "fault sweep: $total cases (2 sides × 7 steps × 3 faults) × $repetitions repetitions = $((total * repetitions)) upgrades with a fault, in $(($(date +%s) - start)) s"
echo "issues recorded: $issues"
grep -E 'Test run with' "$log" | tail -1
exit $status
