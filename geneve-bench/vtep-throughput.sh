#!/usr/bin/env bash
# TCP throughput through a Geneve tunnel between two network namespaces' kernels, for:
#   veth        a plain veth pair, no tunnel: the ceiling
#   ovs-ovs     Open vSwitch (userspace datapath) on both ends; ovs-ovs:on with OVS's userspace TSO
#   vtep-ovs    our `geneve vtep` on one end (offload on and off), OVS on the other
#   vtep-vtep   our vtep on both ends (offload on and off); vtep-vtep:on:netty runs both on the Netty
#               epoll transport (--transport netty), vtep-vtep:on:native (= vtep-vtep:on) on our FFM socket;
#               vtep-vtep:on:w2 runs 2 worker pairs on each end (--workers 2: a multi-queue TAP, an
#               SO_REUSEPORT group), vtep-vtep:on:native:w2 the same; a part m (vtep-vtep:on:m) serves
#               --metrics on each end and scrapes it every second (curl), to compare with the same run without
#   relay       the I/O floor: TAP -> UDP -> TAP on both ends with the vtep's system calls and copies
#               (virtio-net offloads, UDP_SEGMENT, UDP_GRO) and no Geneve work (bench.relay.TapUdpRelay)
# each with iperf3, one stream and four, and prints the ratios to ovs-ovs. Not a unit test: it takes
# about (configurations x streams x SECONDS) seconds and needs root. Every address is inside the two
# namespaces it creates (g4j-ta, g4j-tb) and deletes.
#
#   namespace g4j-ta                               namespace g4j-tb
#   10.0.0.1 (TAP or OVS br-int), MTU 1450         10.0.0.2 (TAP or OVS br-int), MTU 1450
#   underlay veth 172.31.9.1/24 ------------------ underlay veth 172.31.9.2/24, Geneve VNI 5000
#
# Usage: geneve-bench/vtep-throughput.sh [SECONDS] [CONFIG...]   (default 10 s, every configuration)
# Needs: the geneve jar (mvn -pl geneve-tools -am package -DskipTests), iperf3, openvswitch-switch,
# ethtool, iproute2 (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
shift || true
CONFIGS=("$@")
if [ ${#CONFIGS[@]} -eq 0 ]; then
  CONFIGS=(veth relay ovs-ovs ovs-ovs:on vtep-ovs:off vtep-ovs:on vtep-vtep:off vtep-vtep:on)
fi
A=g4j-ta
B=g4j-tb
WORK=$(mktemp -d /tmp/g4j-throughput.XXXXXX)
JAR=${GENEVE_JAR:-geneve-tools/target/geneve.jar}  # GENEVE_JAR: another build, to compare
BENCH_JAR=geneve-bench/target/benchmarks.jar       # the relay floor's classes
pick_java() { # the JDK finder the launchers use (scripts/jdk.sh)
  . scripts/jdk.sh; local home; home=$(geneve_find_jdk); [ -n "$home" ] && echo "$home/bin/java"
}
JAVA=$(pick_java)
[ -n "$JAVA" ] || { echo "no JDK 22+ found" >&2; exit 2; }
[ -f "$JAR" ] || { echo "build the tool first: ./build -q package -DskipTests -pl geneve-tools -am" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, TAP devices)" >&2; exit 2; }
need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ovs-vswitchd >/dev/null || need+=(openvswitch-switch openvswitch-common)
command -v ethtool >/dev/null || need+=(ethtool)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PIDS=()
teardown() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  PIDS=()
  for d in "$WORK"/ovs-*; do
    [ -d "$d" ] || continue
    for daemon in ovs-vswitchd ovsdb-server; do
      [ -f "$d/run/$daemon.pid" ] && kill "$(cat "$d/run/$daemon.pid")" 2>/dev/null || true
    done
    sleep 0.5
    for daemon in ovs-vswitchd ovsdb-server; do
      [ -f "$d/run/$daemon.pid" ] && kill -9 "$(cat "$d/run/$daemon.pid")" 2>/dev/null || true
    done
    rm -rf "$d"
  done
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
}
trap 'teardown; rm -rf "$WORK"' EXIT

underlay() { # the two namespaces and the veth between them
  ip netns add $A
  ip netns add $B
  ip link add g4jta type veth peer name g4jtb
  ip link set g4jta netns $A
  ip link set g4jtb netns $B
  for ns in $A $B; do ip -n $ns link set lo up; done
  ip -n $A link set g4jta up
  ip -n $B link set g4jtb up
}

vtep() { # ns local remote address offload [transport [workers [metrics]]]
  local ns=$1 local=$2 remote=$3 address=$4 offload=$5 transport=${6:-native} workers=${7:-1} metrics=${8:-0}
  local extra=()
  [ "$workers" != 1 ] && extra=(--workers "$workers")
  [ "$metrics" = 1 ] && extra+=(--metrics 127.0.0.1:9464)
  ip netns exec "$ns" "$JAVA" -jar "$JAR" vtep --tap g4jtap --local "$local" --remote "$remote" \
    --offload "$offload" --transport "$transport" "${extra[@]}" --stats 2 >"$WORK/vtep-$ns.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "set the TAP's MTU" "$WORK/vtep-$ns.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "set the TAP's MTU" "$WORK/vtep-$ns.log" || { cat "$WORK/vtep-$ns.log" >&2; return 1; }
  ip -n "$ns" addr add "$address/24" dev g4jtap
  ip -n "$ns" link set g4jtap mtu 1450 up
  if [ "$metrics" = 1 ]; then # a Prometheus-like scrape every second, in the vtep's namespace
    ip netns exec "$ns" sh -c 'while sleep 1; do curl -s -o /dev/null http://127.0.0.1:9464/metrics; done' &
    PIDS+=($!)
  fi
}

relay() { # ns local remote address: the floor, on the same TAP and underlay as a vtep
  local ns=$1 local=$2 remote=$3 address=$4
  [ -f "$BENCH_JAR" ] || { echo "build the benchmarks first: ./build -q package -DskipTests -pl geneve-bench -am" >&2; return 1; }
  ip netns exec "$ns" "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$BENCH_JAR" \
    io.github.geneve4j.bench.relay.TapUdpRelay --tap g4jtap --local "$local:6081" --remote "$remote:6081" \
    >"$WORK/relay-$ns.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "relay ready" "$WORK/relay-$ns.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "relay ready" "$WORK/relay-$ns.log" || { cat "$WORK/relay-$ns.log" >&2; return 1; }
  ip -n "$ns" addr add "$address/24" dev g4jtap
  ip -n "$ns" link set g4jtap mtu 1450 up
}

ovs() { # ns veth local remote address [tso]
  local ns=$1 veth=$2 local=$3 remote=$4 address=$5 tso=${6:-false} d="$WORK/ovs-$1"
  mkdir -p "$d/run" "$d/log" "$d/db" "$d/etc"
  ip -n "$ns" addr flush dev "$veth"
  # the userspace datapath reads the veth with a socket: no partial checksums on it
  ip netns exec "$ns" ethtool -K "$veth" tx off rx off >/dev/null 2>&1 || true
  (
    export OVS_RUNDIR=$d/run OVS_LOGDIR=$d/log OVS_DBDIR=$d/db OVS_SYSCONFDIR=$d/etc
    ovsdb-tool create "$d/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ip netns exec "$ns" ovsdb-server --remote=punix:"$d/run/db.sock" --pidfile="$d/run/ovsdb-server.pid" \
      --detach --log-file="$d/log/ovsdb-server.log" "$d/db/conf.db" 2>/dev/null
    V="ovs-vsctl --db=unix:$d/run/db.sock"
    $V --no-wait init
    # OVS's own userspace TSO (off by default; the "offload on" of ovs-ovs:on)
    $V --no-wait set Open_vSwitch . other_config:userspace-tso-enable="$tso"
    ip netns exec "$ns" ovs-vswitchd unix:"$d/run/db.sock" --pidfile="$d/run/ovs-vswitchd.pid" --detach \
      --log-file="$d/log/ovs-vswitchd.log" </dev/null >/dev/null 2>&1
    $V add-br br-int -- set bridge br-int datapath_type=netdev
    $V add-br br-phy -- set bridge br-phy datapath_type=netdev
    $V add-port br-phy "$veth"
    $V add-port br-int gnv0 -- set interface gnv0 type=geneve options:remote_ip="$remote" options:key=5000
  )
  ip -n "$ns" addr add "$local/24" dev br-phy
  ip -n "$ns" addr add "$address/24" dev br-int
  ip -n "$ns" link set br-phy up
  ip -n "$ns" link set br-int mtu 1450 up
}

setup() { # config
  underlay
  case "$1" in
    veth)
      ip -n $A addr add 10.0.0.1/24 dev g4jta
      ip -n $B addr add 10.0.0.2/24 dev g4jtb ;;
    ovs-ovs|ovs-ovs:off)
      ovs $A g4jta 172.31.9.1 172.31.9.2 10.0.0.1
      ovs $B g4jtb 172.31.9.2 172.31.9.1 10.0.0.2 ;;
    ovs-ovs:on)
      ovs $A g4jta 172.31.9.1 172.31.9.2 10.0.0.1 true
      ovs $B g4jtb 172.31.9.2 172.31.9.1 10.0.0.2 true ;;
    vtep-ovs:*)
      ip -n $A addr add 172.31.9.1/24 dev g4jta
      ip -n $B addr add 172.31.9.2/24 dev g4jtb
      # OVS's userspace datapath drops datagrams whose checksum the veth left to "hardware"
      ip netns exec $A ethtool -K g4jta tx off >/dev/null 2>&1 || true
      vtep $A 172.31.9.1 172.31.9.2 10.0.0.1 "${1#*:}"
      ovs $B g4jtb 172.31.9.2 172.31.9.1 10.0.0.2 ;;
    vtep-vtep:*)
      ip -n $A addr add 172.31.9.1/24 dev g4jta
      ip -n $B addr add 172.31.9.2/24 dev g4jtb
      local mode=${1#*:}   # offload[:transport][:wN]
      local transport=native workers=1 metrics=0 part
      IFS=: read -ra parts <<<"$mode"
      for part in "${parts[@]:1}"; do
        case "$part" in
          w[0-9]*) workers=${part#w} ;;
          m) metrics=1 ;;
          *) transport=$part ;;
        esac
      done
      vtep $A 172.31.9.1 172.31.9.2 10.0.0.1 "${parts[0]}" "$transport" "$workers" "$metrics"
      vtep $B 172.31.9.2 172.31.9.1 10.0.0.2 "${parts[0]}" "$transport" "$workers" "$metrics" ;;
    relay)
      ip -n $A addr add 172.31.9.1/24 dev g4jta
      ip -n $B addr add 172.31.9.2/24 dev g4jtb
      relay $A 172.31.9.1 172.31.9.2 10.0.0.1
      relay $B 172.31.9.2 172.31.9.1 10.0.0.2 ;;
    *) echo "unknown configuration $1" >&2; return 2 ;;
  esac
  # wait until the tunnel carries a ping (OVS learns its neighbours first)
  for _ in $(seq 20); do ip netns exec $A ping -c 1 -W 1 10.0.0.2 >/dev/null 2>&1 && return 0; done
  echo "$1: no ping across" >&2
  return 1
}

thread_ticks() { # CPU ticks (user+system) per thread of every vtep running: "NAME TICKS" lines
  for pid in $(pgrep -f "geneve.jar vtep|TapUdpRelay" || true); do
    local ns
    ns=$(ip netns identify "$pid" 2>/dev/null || echo "?")
    for t in /proc/"$pid"/task/*; do
      printf '%s/%s %s\n' "$ns" "$(tr ' ' '_' <"$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
    done
  done 2>/dev/null | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}'
}

cpu_ticks() { # machine-wide user system softirq idle ticks
  awk '/^cpu / {print $2 + $3, $4, $8, $5}' /proc/stat
}

profile() { # before-file after-file gbit/s: per-thread CPU seconds, and per GB moved, during a run
  local hz gbytes
  hz=$(getconf CLK_TCK)
  gbytes=$(awk -v g="$3" -v s="$SECONDS_PER_RUN" 'BEGIN { if (g == "nan") print 0; else print g * s / 8 }')
  join <(sort "$1") <(sort "$2") | awk -v hz="$hz" -v gb="$gbytes" '$3 - $2 > 0 {
      cpu = ($3 - $2) / hz
      if (gb > 0) printf "    %-32s %6.2f s CPU, %5.2f s per GB\n", $1, cpu, cpu / gb
      else printf "    %-32s %6.2f s CPU\n", $1, cpu }' \
    | sort -k2 -rn | head -10 >&2
}

gbits() { # streams -> Gbit/s received, from iperf3's JSON
  local streams=$1
  # bounded in time: over a tunnel that breaks TCP the server would wait for ever
  ip netns exec $B timeout $((SECONDS_PER_RUN + 20)) iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local server=$!
  sleep 0.5
  ip netns exec $A timeout $((SECONDS_PER_RUN + 15)) iperf3 -c 10.0.0.2 -p 5201 -t "${SECONDS_PER_RUN}" -P "$streams" \
    --connect-timeout 5000 -J >"$WORK/iperf.json" 2>&1 || true
  wait $server 2>/dev/null || true
  python3 - "$WORK/iperf.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    if "error" in r:
        print("  iperf3: " + r["error"], file=sys.stderr)
    print("%.3f" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception as e:
    print("  iperf3 gave no result (%s)" % e, file=sys.stderr)
    print("nan")
PY
}

declare -A RESULT
for config in "${CONFIGS[@]}"; do
  teardown
  if ! setup "$config"; then
    RESULT[$config,1]=nan; RESULT[$config,4]=nan
    continue
  fi
  # warm up (the JIT compiles the vteps' loops in the first seconds of traffic), unmeasured
  SECONDS_PER_RUN=2 gbits 4 >/dev/null
  for streams in 1 4; do
    thread_ticks >"$WORK/before"
    read -r u0 s0 si0 i0 < <(cpu_ticks)
    RESULT[$config,$streams]=$(gbits $streams)
    read -r u1 s1 si1 i1 < <(cpu_ticks)
    thread_ticks >"$WORK/after"
    echo "$config streams=$streams ${RESULT[$config,$streams]} Gbit/s; machine CPU $(awk -v u=$((u1 - u0)) \
      -v s=$((s1 - s0)) -v si=$((si1 - si0)) -v i=$((i1 - i0)) 'BEGIN {t = u + s + si + i; if (t == 0) t = 1;
      printf "user %d%%, system %d%%, softirq %d%%, idle %d%%", 100 * u / t, 100 * s / t, 100 * si / t, 100 * i / t}')" >&2
    profile "$WORK/before" "$WORK/after" "${RESULT[$config,$streams]}"
  done
  for log in "$WORK"/vtep-*.log; do
    [ -f "$log" ] && echo "  $(basename "$log"): $(grep '^stats' "$log" | tail -1)" >&2
  done
  for log in "$WORK"/relay-*.log; do
    [ -f "$log" ] && echo "  $(basename "$log"): $(grep '^relay frames' "$log" | tail -1)" >&2
  done
  for ns in $A $B; do
    ip netns exec $ns nstat -az TcpInCsumErrors TcpRetransSegs UdpRcvbufErrors UdpSndbufErrors 2>/dev/null \
      | awk -v ns=$ns '/^(Tcp|Udp)/ {printf "  %s %s %s\n", ns, $1, $2}' >&2
  done
done
teardown
[ -n "${KEEP_LOGS:-}" ] && cp -r "$WORK" "$KEEP_LOGS" 2>/dev/null

ratio() { # value base -> "v/b×" or "-"
  awk -v v="$1" -v b="$2" 'BEGIN { if (b == "nan" || v == "nan" || b + 0 == 0) print "-"; else printf "%.2f×", v / b }'
}
echo
echo "| configuration | 1 stream Gbit/s | ÷ veth | ÷ relay | ÷ ovs-ovs | 4 streams Gbit/s | ÷ veth | ÷ relay | ÷ ovs-ovs |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for config in "${CONFIGS[@]}"; do
  row="| $config"
  for streams in 1 4; do
    v=${RESULT[$config,$streams]}
    row="$row | $v | $(ratio "$v" "${RESULT[veth,$streams]:-nan}") | $(ratio "$v" "${RESULT[relay,$streams]:-nan}")"
    row="$row | $(ratio "$v" "${RESULT[ovs-ovs,$streams]:-nan}")"
  done
  echo "$row |"
done
# the Netty transport against our FFM socket, when both ran
for native in vtep-vtep:on:native vtep-vtep:on; do
  [ -n "${RESULT[vtep-vtep:on:netty,1]:-}" ] && [ -n "${RESULT[$native,1]:-}" ] || continue
  echo
  echo "netty ÷ native (vtep-vtep:on:netty ÷ $native): $(awk -v a="${RESULT[vtep-vtep:on:netty,1]}" \
    -v b="${RESULT[$native,1]}" -v c="${RESULT[vtep-vtep:on:netty,4]}" -v d="${RESULT[$native,4]}" \
    'BEGIN { printf "%.2f× (1 stream), %.2f× (4 streams)", a / b, c / d }')"
  break
done
