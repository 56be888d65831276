#!/usr/bin/env bash
# Reflected packets per second and loss through `geneve gwlb` (pass-through, raw replies with
# GWLB's ports) for small inner packets at rising offered load, with one and two receive threads
# (SO_REUSEPORT sockets) in the same run. A GWLB stand-in (GwlbLoad, from geneve-tools' test classes)
# sends 84-byte GWLB datagrams of 16 flows, each from its own outer source port, and counts the
# replies on UDP 6081; the kernels' UdpRcvbufErrors on each side say where the lost ones were dropped.
# Not a unit test: needs root; takes about 2 x (rates) x (SECONDS + 5) seconds.
# Every address is inside the two namespaces it creates (g4j-lg, the stand-in, 172.31.13.1; g4j-la,
# the appliance, 172.31.13.2, on one veth pair) and deletes.
#
# Usage: geneve-bench/gwlb-load.sh [SECONDS] [RATE...]   (default 5 s; rates 50000 100000 200000 400000 0,
#        0 = as fast as the stand-in sends). GENEVE_JAR=... measures another build of the geneve jar.
# Needs: mvn -B -pl geneve-tools -am package -DskipTests (the jar and the test classes), iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(50000 100000 200000 400000 0)
JAR=${GENEVE_JAR:-geneve-tools/target/geneve.jar}
# the load generator (test classes) and the GWLB datagram builder it uses (geneve-codec's test-jar)
CP="geneve-tools/target/test-classes:$JAR:$(ls geneve-codec/target/geneve-codec-*-tests.jar 2>/dev/null | head -1)"
. scripts/jdk.sh  # the JDK finder the launchers use
JAVA_HOME_FOUND=$(geneve_find_jdk)
JAVA=${JAVA_HOME_FOUND:+$JAVA_HOME_FOUND/bin/java}
[ -n "$JAVA" ] || { echo "no JDK 22+ found" >&2; exit 2; }
[ -f "$JAR" ] && [ -d geneve-tools/target/test-classes ] || { echo "build first: ./build -q package -DskipTests -pl geneve-tools -am" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, a raw socket)" >&2; exit 2; }

G=g4j-lg; A=g4j-la
WORK=$(mktemp -d /tmp/g4j-gwlb-load.XXXXXX)
PID=""
stop_appliance() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
    PID=""
  fi
}
teardown() {
  stop_appliance
  for ns in $G $A; do ip netns del $ns 2>/dev/null || true; done
}
trap 'teardown; rm -rf "$WORK"' EXIT

setup() {
  ip netns add $G; ip netns add $A
  ip -n $G link set lo up; ip -n $A link set lo up
  ip link add g4jlg type veth peer name g4jla
  ip link set g4jlg netns $G; ip link set g4jla netns $A
  ip -n $G addr add 172.31.13.1/24 dev g4jlg; ip -n $G link set g4jlg up
  ip -n $A addr add 172.31.13.2/24 dev g4jla; ip -n $A link set g4jla up
  # receive buffers as gwlbtun's README advises for high packet rates (in these namespaces only where the
  # kernel scopes them; rmem_max is global, so it is only raised, never lowered)
  [ "$(cat /proc/sys/net/core/rmem_max)" -ge 4194304 ] || sysctl -qw net.core.rmem_max=4194304
  [ "$(cat /proc/sys/net/core/wmem_max)" -ge 4194304 ] || sysctl -qw net.core.wmem_max=4194304
}

start_appliance() { # threads
  local extra=()
  # after issue 28 the appliance answers only the GWLB addresses it is given (the stand-in's)
  if "$JAVA" -jar "$JAR" gwlb --help 2>&1 | grep -q -- '--gwlb'; then extra+=(--gwlb 172.31.13.1/32); fi
  ip netns exec $A "$JAVA" -jar "$JAR" gwlb --local 172.31.13.2 --threads "$1" "${extra[@]}" >"$WORK/gwlb-$1.log" 2>&1 &
  PID=$!
  for _ in $(seq 200); do grep -q "gwlb appliance on" "$WORK/gwlb-$1.log" 2>/dev/null && return 0; sleep 0.1; done
  cat "$WORK/gwlb-$1.log" >&2; return 1
}

load() { # rate seconds -> the stand-in's line
  ip netns exec $G "$JAVA" -cp "$CP" io.github.geneve4j.tools.interop.GwlbLoad 172.31.13.1 172.31.13.2 "$1" "$2" 16
}

udp_errors() { # namespace -> the UDP RcvbufErrors counter of its kernel (datagrams a full socket buffer dropped)
  ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

teardown
setup
declare -A LINE APP GEN
# interleaved: at each rate, one thread then two, each on a freshly started (and warmed) appliance, so
# that the other agents' load on this shared machine drifts across both alike
for rate in "${RATES[@]}"; do
  for threads in 1 2; do
    start_appliance "$threads"
    load 100000 2 >/dev/null   # warm-up, unmeasured: the JIT compiles the receive loop
    a0=$(udp_errors $A); g0=$(udp_errors $G)
    LINE[$threads,$rate]=$(load "$rate" "$SECONDS_PER_RUN")
    APP[$threads,$rate]=$(( $(udp_errors $A) - a0 )); GEN[$threads,$rate]=$(( $(udp_errors $G) - g0 ))
    stop_appliance
    echo "threads $threads, ${LINE[$threads,$rate]}; dropped by the appliance's socket buffers ${APP[$threads,$rate]}, by the stand-in's ${GEN[$threads,$rate]}" >&2
  done
done
teardown

field() { # line regex -> first capture
  sed -E -n "s|.*$2.*|\\1|p" <<<"$1"
}
echo
echo "| offered (datagrams/s) | threads | sent/s | reflected/s | loss | of which: appliance socket full / stand-in socket full | reflected/s, 2 threads ÷ 1 |"
echo "|---|---|---|---|---|---|---|"
for rate in "${RATES[@]}"; do
  r1=$(field "${LINE[1,$rate]}" 'replies [0-9]+ \(([0-9]+)/s\)')
  r2=$(field "${LINE[2,$rate]}" 'replies [0-9]+ \(([0-9]+)/s\)')
  for threads in 1 2; do
    l=${LINE[$threads,$rate]}
    ratio=""
    [ "$threads" = 2 ] && ratio=$(awk -v a="$r1" -v b="$r2" 'BEGIN { if (a > 0) printf "%.2f", b / a }')
    echo "| $([ "$rate" = 0 ] && echo max || echo "$rate") | $threads | $(field "$l" 'sent [0-9]+ in [0-9.]+ s \(([0-9]+)/s') | $(field "$l" 'replies [0-9]+ \(([0-9]+)/s\)') | $(field "$l" 'loss ([0-9.]+%)') | ${APP[$threads,$rate]} / ${GEN[$threads,$rate]} | $ratio |"
  done
done
