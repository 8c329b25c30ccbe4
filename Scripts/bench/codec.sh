#!/usr/bin/env bash
# Codec speed: HandoffBinaryEncoder/Decoder against Foundation's JSONEncoder/Decoder and binary
# PropertyListEncoder/Decoder on 200,000 small records (COUNT to change), release build; prints
# the best ms of each over RUNS runs (default 5) and our speed-up in both directions; and, as the
# floor, a do-nothing Encoder/Decoder taking the same Codable calls, with ours as a multiple of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

swift build -c release --product handoff-bench >/dev/null
.build/release/handoff-bench codec --count "${COUNT:-200000}" --runs "${RUNS:-5}"
