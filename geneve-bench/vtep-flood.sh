#!/usr/bin/env bash
# TCP throughput through vtep⇄vtep (offload on) while a stranger on the underlay floods the
# receiving vtep's Geneve port with datagrams of every kind an endpoint must refuse (valid-looking
# Geneve with the right VNI, wrong VNIs, bad versions, truncated headers, option overruns, unknown
# critical options, O-bit packets, random bytes): iperf3, one stream, unflooded and at each rate,
# in one run, with the ratio to the unflooded figure; and the same flood sent to a closed port of
# the same host (the kernel drops it, no endpoint sees it): about as good as an endpoint can do here.
# Not a unit test: needs root; takes about (rates + 2) x (SECONDS + 5) seconds. Every address is inside
# the four namespaces it creates (g4j-fa, g4j-fb, g4j-fc and the bridge g4j-fu) and deletes.
#
#   g4j-fa 172.31.11.1, TAP 10.0.0.1 --+
#   g4j-fb 172.31.11.2, TAP 10.0.0.2 --+-- bridge in g4j-fu
#   g4j-fc 172.31.11.3 (the stranger) -+
#
# Usage: geneve-bench/vtep-flood.sh [SECONDS] [RATE...]   (default 10 s; rates 50000 150000 0, 0 = the
#        flooder's maximum). GENEVE_JAR=... measures another build of the geneve jar; VTEP_FLAGS=...
#        adds flags to both vteps (e.g. VTEP_FLAGS="--kernel-filter on").
# Needs: mvn -B -pl geneve-tools -am package -DskipTests (the jar and the test classes, whose Flooder
# sends the datagrams), iperf3, iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(50000 150000 0)
JAR=${GENEVE_JAR:-geneve-tools/target/geneve.jar}
FLOOD_CP="geneve-tools/target/test-classes:geneve-tools/target/geneve.jar:$(ls geneve-codec/target/geneve-codec-*-tests.jar | head -1)"
. scripts/jdk.sh  # the JDK finder the launchers use
JAVA_HOME_FOUND=$(geneve_find_jdk)
JAVA=${JAVA_HOME_FOUND:+$JAVA_HOME_FOUND/bin/java}
[ -n "$JAVA" ] || { echo "no JDK 22+ found" >&2; exit 2; }
[ -f "$JAR" ] && [ -d geneve-tools/target/test-classes ] || { echo "build first: mvn -B -pl geneve-tools -am package -DskipTests" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, TAP devices)" >&2; exit 2; }
command -v iperf3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iperf3 >/dev/null; }

A=g4j-fa; B=g4j-fb; C=g4j-fc; U=g4j-fu
WORK=$(mktemp -d /tmp/g4j-flood.XXXXXX)
PIDS=()
teardown() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
  for ns in $A $B $C $U; do ip netns del $ns 2>/dev/null || true; done
}
trap 'teardown; rm -rf "$WORK"' EXIT

setup() {
  ip netns add $U; ip -n $U link set lo up
  ip -n $U link add br0 type bridge; ip -n $U link set br0 up
  local i=1
  for ns in $A $B $C; do
    ip netns add $ns; ip -n $ns link set lo up
    ip link add g4jf$i type veth peer name g4jf${i}u
    ip link set g4jf$i netns $ns; ip link set g4jf${i}u netns $U
    ip -n $U link set g4jf${i}u master br0 up
    ip -n $ns addr add 172.31.11.$i/24 dev g4jf$i; ip -n $ns link set g4jf$i up
    i=$((i + 1))
  done
  for pair in "$A 172.31.11.1 172.31.11.2 10.0.0.1" "$B 172.31.11.2 172.31.11.1 10.0.0.2"; do
    set -- $pair
    # shellcheck disable=SC2086
    ip netns exec "$1" "$JAVA" -jar "$JAR" vtep --tap g4jtap --local "$2" --remote "$3" --offload on --stats 2 ${VTEP_FLAGS:-} \
      >"$WORK/vtep-$1.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 200); do grep -q "set the TAP's MTU" "$WORK/vtep-$1.log" 2>/dev/null && break; sleep 0.1; done
    ip -n "$1" addr add "$4/24" dev g4jtap; ip -n "$1" link set g4jtap mtu 1450 up
  done
  for _ in $(seq 20); do ip netns exec $A ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1 && return 0; done
  echo "no ping across" >&2; return 1
}

gbits() { # -> Gbit/s, one stream
  ip netns exec $B timeout $((SECONDS_PER_RUN + 20)) iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local server=$!
  sleep 0.5
  ip netns exec $A timeout $((SECONDS_PER_RUN + 15)) iperf3 -c 10.0.0.2 -p 5201 -t "$SECONDS_PER_RUN" \
    --connect-timeout 5000 -J >"$WORK/iperf.json" 2>&1 || true
  wait $server 2>/dev/null || true
  python3 -c 'import json,sys
try: print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("nan")' "$WORK/iperf.json"
}

flooded() { # rate port label -> Gbit/s under a flood to 172.31.11.2:port, the flooder's own figures on stderr
  ip netns exec $C "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$FLOOD_CP" io.github.geneve4j.tools.interop.Flooder "172.31.11.2:$2" "$1" \
    $((SECONDS_PER_RUN + 3)) 5000 all >"$WORK/flood-$3.log" 2>&1 &
  local flooder=$!
  sleep 1.5
  gbits
  wait $flooder 2>/dev/null || true
  echo "  flood $3: $(cat "$WORK/flood-$3.log")" >&2
}

teardown
setup
# warm up (the JIT compiles the vteps' loops in the first seconds of traffic), unmeasured
SECONDS_PER_RUN_SAVED=$SECONDS_PER_RUN; SECONDS_PER_RUN=5; gbits >/dev/null; SECONDS_PER_RUN=$SECONDS_PER_RUN_SAVED
declare -A RESULT
RESULT[first]=$(gbits)
echo "unflooded: ${RESULT[first]} Gbit/s" >&2
for rate in "${RATES[@]}"; do
  RESULT[$rate]=$(flooded "$rate" 6081 "$rate")
  echo "flood at ${rate}/s: ${RESULT[$rate]} Gbit/s; $(grep '^stats' "$WORK/vtep-$B.log" | tail -1)" >&2
done
RESULT[closed]=$(flooded 150000 9999 closed)
echo "flood at 150000/s to a closed port: ${RESULT[closed]} Gbit/s" >&2
RESULT[last]=$(gbits)
echo "unflooded again: ${RESULT[last]} Gbit/s" >&2
# the baseline: the mean of the unflooded runs before and after (this machine is shared and noisy)
RESULT[none]=$(awk -v a="${RESULT[first]}" -v b="${RESULT[last]}" 'BEGIN { printf "%.3f", (a + b) / 2 }')
teardown

echo
echo "| flood (datagrams/s, from a non-peer) | to | Gbit/s | ÷ unflooded | flooder sent |"
echo "|---|---|---:|---:|---|"
echo "| none (mean of ${RESULT[first]} before and ${RESULT[last]} after) | | ${RESULT[none]} | 1.00 | |"
for key in "${RATES[@]}" closed; do
  label=$key; to="vtep :6081"
  [ "$key" = 0 ] && label="maximum"
  [ "$key" = closed ] && { label=150000; to="closed port :9999"; }
  sent=$(sed -n 's/.*sent \([0-9]*\) datagrams in \([0-9.]*\) s (\([0-9]*\)\/s).*/\3\/s/p' "$WORK/flood-$key.log" 2>/dev/null || true)
  ratio=$(awk -v v="${RESULT[$key]}" -v b="${RESULT[none]}" 'BEGIN { if (v == "nan" || b == "nan" || b + 0 == 0) print "-"; else printf "%.2f", v / b }')
  echo "| $label | $to | ${RESULT[$key]} | $ratio | ${sent:-?} |"
done
