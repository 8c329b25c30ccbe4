#!/usr/bin/env bash
# Fuzzes the decoders that read untrusted bytes, with libFuzzer and AddressSanitizer:
#   frame     the control channel's frame decoder
#   envelope  the state envelope
#   codec     the binary Codable decoder, into a nested type (FuzzValue)
#   http      the HTTP/1.1 request parser of the admin endpoint and the demo
#   http-server  the HTTP engine's loop handler, played a connection sequence (bytes in
#             pieces, reads, half-close) over a socketpair
#   etcd      the etcd store's HTTP/1.1 answer reader (over a socket) and the gateway's JSON
# The targets' logic is Tests/HandoffIntegrationTests/Fuzz/FuzzTargets.swift; `swift test` replays every
# seed and every regression input through it (FuzzReplayTests).
#
#   Scripts/fuzz/run.sh [--runs N] [TARGET...]   N executions per target (default 1000000);
#                                                prints executions, time, coverage, crashes
#   Scripts/fuzz/run.sh --seeds                  rewrites the seed corpora, Fixtures/fuzz/<target>/
#
# A crash is copied to Fixtures/fuzz/regressions/<target>/ and the script exits 1: fix the
# decoder, keep the input (the replay test then guards it for good).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=Scripts/fuzz/out
RUNS=1000000
SEEDS=0
TARGETS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift 2 ;;
        --seeds) SEEDS=1; shift ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(frame envelope codec http etcd http-server)

CLANG=$(dirname "$(command -v swiftc)")/clang
mkdir -p "$OUT/obj" "$OUT/include"
printf 'module CHandoff {\n    header "%s/Sources/CHandoff/include/CHandoff.h"\n    export *\n}\n' "$ROOT" > "$OUT/include/module.modulemap"
echo "building the fuzz binary (release, -sanitize=fuzzer,address)..."
for source in Sources/CHandoff/*.c; do
    "$CLANG" -O2 -g -fsanitize=address,fuzzer-no-link -I Sources/CHandoff/include -c "$source" -o "$OUT/obj/$(basename "$source" .c).o"
done
# The library modules the targets import, with coverage and ASan (testable, so the targets reach
# the decoders the package keeps internal), each after the modules it depends on (Package.swift);
# then the fuzz binary that imports them.
MODULES=(HandoffSystem Handoff HandoffServices HandoffOperations HandoffEtcd)
SWIFT_FLAGS=(-O -g -sanitize=fuzzer,address -enable-testing -parse-as-library -swift-version 6 -package-name handoff
             -enable-upcoming-feature ExistentialAny -I "$OUT/include" -I "$OUT/mod")
mkdir -p "$OUT/mod"
rm -f "$OUT/handoff-fuzz" "$OUT"/obj/Handoff*.o
for module in "${MODULES[@]}"; do
    swiftc "${SWIFT_FLAGS[@]}" -module-name "$module" -wmo -emit-module -emit-module-path "$OUT/mod/$module.swiftmodule" \
        -c $(find "Sources/$module" -name '*.swift' | sort) -o "$OUT/obj/$module.o"
done
swiftc "${SWIFT_FLAGS[@]}" -module-name HandoffFuzz \
    Tests/HandoffIntegrationTests/Fuzz/FuzzTargets.swift Tests/HandoffIntegrationTests/Fuzz/FuzzTargets+HTTPServer.swift Scripts/fuzz/FuzzMain.swift Scripts/fuzz/FuzzSeeds.swift \
    "$OUT"/obj/*.o -lFoundationNetworking -o "$OUT/handoff-fuzz" 2>&1 | grep -v "ld.gold: warning: Cannot export local symbol" || true
[ -x "$OUT/handoff-fuzz" ] || { echo "the fuzz binary did not build" >&2; exit 1; }

if [ "$SEEDS" = 1 ]; then
    HANDOFF_FUZZ_SEEDS="$ROOT/Fixtures/fuzz" HANDOFF_FUZZ_TARGET=frame "$OUT/handoff-fuzz" -runs=0 >/dev/null 2>&1 || true
    find Fixtures/fuzz -maxdepth 2 -type f -not -path '*/regressions/*' | sort
    exit 0
fi

status=0
printf '%-10s %12s %10s %10s %8s %8s\n' target executions seconds exec/s cov crashes
for target in "${TARGETS[@]}"; do
    work="$OUT/$target"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp Fixtures/fuzz/"$target"/* "$work/corpus/" 2>/dev/null || true
    cp Fixtures/fuzz/regressions/"$target"/* "$work/corpus/" 2>/dev/null || true
    [ "$target" != envelope ] || cp Fixtures/envelopes/*.hoff "$work/corpus/"
    start=$(date +%s.%N)
    HANDOFF_FUZZ_TARGET=$target "$OUT/handoff-fuzz" -runs="$RUNS" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || true
    end=$(date +%s.%N)
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | awk '{print $2}')
    crashes=$(find "$work/artifacts" -type f | wc -l)
    seconds=$(echo "$end - $start" | bc)
    rate=$(echo "${executions:-0} / $seconds" | bc)
    printf '%-10s %12s %10.1f %10s %8s %8s\n' "$target" "${executions:-?}" "$seconds" "$rate" "${coverage:-?}" "$crashes"
    if [ "$crashes" != 0 ]; then
        mkdir -p Fixtures/fuzz/regressions/"$target"
        cp "$work"/artifacts/* Fixtures/fuzz/regressions/"$target"/
        tail -40 "$work/log" >&2
        status=1
    fi
done
exit $status
