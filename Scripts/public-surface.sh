#!/usr/bin/env bash
# Lists the core Handoff module's public types (top-level public declarations and the
# re-exported system types), counts them, and checks that Handoff.docc/Handoff.md lists exactly
# that set in its Topics. Issue 12 bounds the count at 30.
set -euo pipefail
cd "$(dirname "$0")/.."
declared=$(grep -rhoE '^public (final )?(struct|class|enum|protocol|actor|typealias) [A-Za-z0-9_]+' Sources/Handoff --include='*.swift' | awk '{print $NF}')
exported=$(grep -rhoE '^@_exported import (struct|class|enum|protocol) [A-Za-z0-9_.]+' Sources/Handoff --include='*.swift' | awk '{print $NF}' | sed 's/.*\.//')
public=$(printf '%s\n%s\n' "$declared" "$exported" | sort -u)
topics=$(sed -n '/^## Topics/,$p' Sources/Handoff/Handoff.docc/Handoff.md | grep -oE '^- ``[A-Za-z0-9_]+``$' | tr -d '` -' | sort -u)
echo "$public"
count=$(echo "$public" | wc -l)
echo "public types: $count"
status=0
if ! diff <(echo "$public") <(echo "$topics") >/dev/null; then
    echo "Handoff.md's Topics differ from the public set (< public only, > listed only):"
    diff <(echo "$public") <(echo "$topics") | grep '^[<>]' || true
    status=1
fi
if [ "$count" -gt 30 ]; then echo "more than 30 public types"; status=1; fi
exit $status
