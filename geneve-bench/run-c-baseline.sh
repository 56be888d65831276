#!/usr/bin/env bash
# Builds and runs the C reference decoder (gcc -O2) and prints ns per decode of the GWLB header,
# to set beside GeneveDecodeBenchmark.view with layout=GWLB in RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p target
gcc -O2 -o target/geneve_decode src/c/geneve_decode.c
for run in 1 2 3; do target/geneve_decode "${1:-200000000}"; done
