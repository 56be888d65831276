#!/usr/bin/env bash
# Builds and runs the C reference points, to set beside the JMH figures in RESULTS.md:
#  - the Geneve decoder (gcc -O2): ns per decode of the GWLB header, beside GeneveDecodeBenchmark.view
#    with layout=GWLB;
#  - the Internet checksum (the same RFC 1071 algorithm as InternetChecksum, gcc -O3 -march=native):
#    ns per checksum at 1500, 9000 and 65536 bytes, beside ChecksumBenchmark.checksum.
# Usage: run-c-baseline.sh [decode iterations] [checksum seconds per size]
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p target
gcc -O2 -o target/geneve_decode src/c/geneve_decode.c
gcc -O3 -march=native -o target/checksum src/c/checksum.c
for run in 1 2 3; do target/geneve_decode "${1:-200000000}"; done
for run in 1 2 3; do target/checksum "${2:-1}"; done
