#!/usr/bin/env bash
# A soak of vtep⇄vtep (offload on) through two kernels: back-to-back 256 MiB TCP transfers, each
# checked by hash, for SECONDS (default 600), printing per interval (a sixth of the time, at most a
# minute) the throughput and both vteps' resident memory; it fails if resident memory grows by 5% or
# more after the first interval, if any drop is counted, or if an interval falls below a quarter of
# the median. The test itself is geneve-tools' SoakTest (30 s in every build); this runs it long.
# Needs root; every address is inside namespaces the test creates and deletes.
#
# Usage: geneve-bench/vtep-soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_SOAK=${1:-600}
mvn -B -q install -DskipTests
mvn -B verify -pl geneve-tools -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dgeneve.soakSeconds="$SECONDS_TO_SOAK" | grep -E "^soak|Tests run:|FAIL|BUILD"
