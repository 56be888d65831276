#!/usr/bin/env bash
# The GWLB appliance against its floors, in one run (issues 29 and 30): for each offered rate, the
# same GWLB stand-in drives, in turn,
#   standin  nothing but a drop rule on the appliance's side (what the stand-in alone costs),
#   floor    the socket floor: gwlb-reflect (C: recvmmsg of 64, one raw sendmmsg per batch),
#   gwlb-1   `geneve gwlb` with one receive thread,  gwlb-2  with two,
#   xdp-floor-1, xdp-floor-2  the AF_XDP floor: our Java XdpReflector (geneve-linux's test classes; the
#            same XDP program, frames reflected in place, no Geneve work) on one and two RX queues,
#   gwlb-xdp-1, gwlb-xdp-2    `geneve gwlb --io xdp` on one and two RX queues (one thread each),
# with the stand-in (gwlb-gen, C sendmmsg from a raw socket) pinned to CPU 0 and the reflector or the
# appliance to CPU 1. Reflected packets are counted on the stand-in's side, by an iptables raw-table
# rule that drops them there (no socket reads them on either measured core); the CPU per packet is
# every busy jiffy of /proc/stat over both CPUs (softirq included: on a veth the receiver's softirq
# runs on the sender's CPU) per reflected packet, less the stand-in-only run's per sent packet.
# The kernel's own drop counters (UDP RcvbufErrors on the appliance's side, veth rx/tx drops) are in
# the table; the AF_XDP configurations' XDP_STATISTICS per queue (as each process prints them when
# it stops) and their rate against the AF_XDP floor's follow it. The veth has two queues each way,
# one for the one-queue AF_XDP configurations. `ethtool -K tx off` on the stand-in's veth: no partial checksum reaches a reflected frame.
#
# What is sent, per datagram: UDP payload 68 bytes (Geneve 8, GWLB options 32, inner IPv4/UDP 28),
# IPv4 packet 96 bytes, Ethernet frame 110 bytes; 16 flows, outer source ports 42000-42015.
#
# Not a unit test: needs root, gcc, iptables, ethtool; every address is inside the two namespaces it
# creates (g4j-fg, the stand-in, 172.31.14.1; g4j-fa, the appliance, 172.31.14.2) and deletes.
# Bounded: (8 configurations) x (rates) x (WARMUP + SECONDS + 2) seconds.
#
# Usage: geneve-bench/gwlb-floors.sh [SECONDS] [RATE...]   (default 5 s; rates 100000 0; 0 = as fast
#        as the stand-in sends). CONFIGS="floor gwlb-1" limits the configurations (standin is always run).
#        GENEVE_JAR=... measures another build of the geneve jar; GENEVE_GWLB_ARGS adds options.
# Needs: ./build -q package -DskipTests -pl geneve-tools -am   (builds geneve-linux's test classes too)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
shift || true
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(100000 0)
read -r -a CONFIG_LIST <<<"${CONFIGS:-floor gwlb-1 gwlb-2 xdp-floor-1 xdp-floor-2 gwlb-xdp-1 gwlb-xdp-2}"
WARMUP=${WARMUP:-3}
FLOWS=16
JAR=${GENEVE_JAR:-geneve-tools/target/geneve.jar}
. scripts/jdk.sh
JAVA_HOME_FOUND=$(geneve_find_jdk)
JAVA=${JAVA_HOME_FOUND:+$JAVA_HOME_FOUND/bin/java}
[ -n "$JAVA" ] || { echo "no JDK 22+ found" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces, raw sockets, iptables)" >&2; exit 2; }
for tool in gcc iptables ethtool taskset; do
  command -v $tool >/dev/null || { echo "needs $tool (Debian: gcc, iptables, ethtool, util-linux)" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs (the stand-in on one, the appliance on the other)" >&2; exit 2; }

BIN=geneve-bench/target/c
mkdir -p "$BIN"
gcc -O2 -Wall -o "$BIN/gwlb-gen" geneve-bench/c/gwlb-gen.c
gcc -O2 -Wall -o "$BIN/gwlb-reflect" geneve-bench/c/gwlb-reflect.c

G=g4j-fg; A=g4j-fa; GIP=172.31.14.1; AIP=172.31.14.2
WORK=$(mktemp -d /tmp/g4j-gwlb-floors.XXXXXX)
PID=""
stop_reflector() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
  fi
}
teardown() {
  stop_reflector
  for ns in $G $A; do ip netns del $ns 2>/dev/null || true; done
}
trap 'teardown; rm -rf "$WORK"' EXIT

setup() {
  ip netns add $G; ip netns add $A
  ip -n $G link set lo up; ip -n $A link set lo up
  ip link add g4jfg numtxqueues 2 numrxqueues 2 type veth peer name g4jfa numtxqueues 2 numrxqueues 2
  ip link set g4jfg netns $G; ip link set g4jfa netns $A
  ip -n $G addr add $GIP/24 dev g4jfg; ip -n $G link set g4jfg up
  ip -n $A addr add $AIP/24 dev g4jfa; ip -n $A link set g4jfa up
  ip netns exec $G ethtool -K g4jfg tx off >/dev/null
  # the replies end here, counted by this rule's counter
  ip netns exec $G iptables -t raw -A PREROUTING -p udp --dport 6081 -j DROP
  # the AF_XDP floor swaps the UDP ports: its replies come from 6081
  ip netns exec $G iptables -t raw -A PREROUTING -p udp --sport 6081 -j DROP
  [ "$(cat /proc/sys/net/core/rmem_max)" -ge 8388608 ] || sysctl -qw net.core.rmem_max=8388608
  [ "$(cat /proc/sys/net/core/wmem_max)" -ge 8388608 ] || sysctl -qw net.core.wmem_max=8388608
  # neighbours resolved once, so the first packets of each run are not held by ARP
  ip netns exec $G ping -c 1 -W 1 $AIP >/dev/null
}

gwlb_args() {
  local extra=()
  # after issue 28 the appliance answers only the GWLB addresses it is given
  if "$JAVA" -jar "$JAR" gwlb --help 2>&1 | grep -q -- '--gwlb'; then extra+=(--gwlb "$GIP/32"); fi
  echo "${extra[@]}" ${GENEVE_GWLB_ARGS:-}
}

channels() { # N: queues each way on both ends; the stand-in's TX queue is the appliance's RX queue, and a
  # frame on a queue with no XDP socket would go to the kernel (and one past the appliance's queues skip XDP)
  ip netns exec $G ethtool -L g4jfg rx "$1" tx "$1"
  ip netns exec $A ethtool -L g4jfa rx "$1" tx "$1"
}

start() { # config
  case "$1" in
    xdp-floor-*|gwlb-xdp-*) channels "${1##*-}" ;;
    *) channels 2 ;;
  esac
  case "$1" in
    standin) ip netns exec $A iptables -t raw -A PREROUTING -p udp --dport 6081 -j DROP; return 0 ;;
    floor) ip netns exec $A taskset -c 1 "$BIN/gwlb-reflect" $AIP >"$WORK/$1.log" 2>&1 & PID=$!; sleep 0.5 ;;
    xdp-floor-*)
      ip netns exec $A taskset -c 1 "$JAVA" --enable-native-access=ALL-UNNAMED \
        -cp geneve-linux/target/classes:geneve-linux/target/test-classes io.github.geneve4j.linux.xdp.XdpReflector \
        g4jfa $AIP 6081 "${1#xdp-floor-}" >"$WORK/$1.log" 2>&1 &
      PID=$!
      for _ in $(seq 300); do grep -q "^ready" "$WORK/$1.log" 2>/dev/null && break; sleep 0.1; done
      grep -q "^ready" "$WORK/$1.log" || { cat "$WORK/$1.log" >&2; return 1; } ;;
    gwlb-xdp-*)
      ip netns exec $A taskset -c 1 "$JAVA" -jar "$JAR" gwlb --local $AIP --io xdp --interface g4jfa \
        --queues "${1#gwlb-xdp-}" $(gwlb_args) >"$WORK/$1.log" 2>&1 &
      PID=$!
      for _ in $(seq 300); do grep -q "gwlb appliance on" "$WORK/$1.log" 2>/dev/null && break; sleep 0.1; done
      grep -q "gwlb appliance on" "$WORK/$1.log" || { cat "$WORK/$1.log" >&2; return 1; } ;;
    gwlb-*)
      ip netns exec $A taskset -c 1 "$JAVA" -jar "$JAR" gwlb --local $AIP --threads "${1#gwlb-}" $(gwlb_args) \
        >"$WORK/$1.log" 2>&1 &
      PID=$!
      for _ in $(seq 300); do grep -q "gwlb appliance on" "$WORK/$1.log" 2>/dev/null && break; sleep 0.1; done
      grep -q "gwlb appliance on" "$WORK/$1.log" || { cat "$WORK/$1.log" >&2; return 1; } ;;
  esac
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/$1.log" >&2; return 1; }
}

finish() { # config
  if [ "$1" = standin ]; then
    ip netns exec $A iptables -t raw -D PREROUTING -p udp --dport 6081 -j DROP
  else
    stop_reflector
  fi
}

replies() { ip netns exec $G iptables -t raw -L PREROUTING -v -x -n | awk '/udp [sd]pt:6081/ { s += $1 } END { print s + 0 }'; }
busy() { # busy jiffies of CPU 0 and 1 together (all but idle and iowait)
  awk '/^cpu[01] / { s += $2 + $3 + $4 + $7 + $8 + $9 } END { print s }' /proc/stat
}
udp_errors() { ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp; }
link_drops() { # namespace dev -> rx_dropped+tx_dropped
  ip netns exec "$1" sh -c "echo \$(( \$(cat /sys/class/net/$2/statistics/rx_dropped) + \$(cat /sys/class/net/$2/statistics/tx_dropped) ))"
}
quiet() { # until the reply counter stops moving (300 ms unchanged; at most 10 s): nothing in flight
  local last now
  last=$(replies)
  for _ in $(seq 33); do sleep 0.3; now=$(replies); [ "$now" = "$last" ] && return 0; last=$now; done
}
gen() { # rate seconds -> "sent N in T s ..."
  ip netns exec $G taskset -c 0 "$BIN/gwlb-gen" $GIP $AIP "$1" "$2" $FLOWS
}

HZ=$(getconf CLK_TCK)
XDP_NOTES=()
teardown
setup
declare -A CPU
printf '| configuration | offered/s | sent/s | reflected/s | loss | CPU µs/packet (net) | ÷ floor rate | ÷ floor CPU | UDP RcvbufErrors | veth drops |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for rate in "${RATES[@]}"; do
  declare -A RATE_OF=()
  for config in standin "${CONFIG_LIST[@]}"; do
    start "$config"
    gen "$rate" "$WARMUP" >/dev/null            # warm-up: JIT, caches, neighbours
    quiet
    r0=$(replies); b0=$(busy); e0=$(udp_errors $A); d0=$(link_drops $A g4jfa)
    line=$(gen "$rate" "$SECONDS_PER_RUN")
    quiet                                      # the last replies
    r1=$(replies); b1=$(busy); e1=$(udp_errors $A); d1=$(link_drops $A g4jfa)
    finish "$config"
    case "$config" in # the kernel's XDP_STATISTICS per queue, printed by the process as it stopped
      xdp-floor-*|gwlb-xdp-*) XDP_NOTES+=("$config at $([ "$rate" = 0 ] && echo max || echo "$rate")/s: $(grep -o 'XdpStatistics\[.*\]' "$WORK/$config.log" | tr '\n' ' ')") ;;
    esac
    sent=$(awk '{ print $2 }' <<<"$line"); took=$(awk '{ print $4 }' <<<"$line")
    got=$((r1 - r0)); jiffies=$((b1 - b0))
    if [ "$config" = standin ]; then
      base=$(awk -v j=$jiffies -v hz=$HZ -v n=$sent 'BEGIN { printf "%.3f", n ? j / hz * 1e6 / n : 0 }')
      printf '| stand-in alone | %s | %.0f | – | – | %s gross | | | %d | %d |\n' \
        "$([ "$rate" = 0 ] && echo max || echo "$rate")" "$(awk -v n=$sent -v t=$took 'BEGIN { print n / t }')" \
        "$base" $((e1 - e0)) $((d1 - d0))
      continue
    fi
    per=$(awk -v j=$jiffies -v hz=$HZ -v n=$got -v b=$base 'BEGIN { printf "%.3f", n ? j / hz * 1e6 / n - b : 0 }')
    rps=$(awk -v n=$got -v t=$took 'BEGIN { printf "%.0f", n / t }')
    RATE_OF[$config]=$rps; CPU[$config]=$per
    ratio_rate=$(awk -v a=$rps -v b="${RATE_OF[floor]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }')
    ratio_cpu=$(awk -v a=$per -v b="${CPU[floor]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }')
    printf '| %s | %s | %.0f | %s | %.2f%% | %s | %s | %s | %d | %d |\n' "$config" \
      "$([ "$rate" = 0 ] && echo max || echo "$rate")" "$(awk -v n=$sent -v t=$took 'BEGIN { print n / t }')" "$rps" \
      "$(awk -v s=$sent -v g=$got 'BEGIN { print s ? 100 * (s - g) / s : 0 }')" "$per" "$ratio_rate" "$ratio_cpu" \
      $((e1 - e0)) $((d1 - d0))
  done
  for q in 1 2; do
    if [ -n "${RATE_OF[gwlb-xdp-$q]:-}" ] && [ -n "${RATE_OF[xdp-floor-$q]:-}" ]; then
      XDP_NOTES+=("gwlb-xdp-$q ÷ xdp-floor-$q reflected rate at $([ "$rate" = 0 ] && echo max || echo "$rate")/s: $(awk -v a="${RATE_OF[gwlb-xdp-$q]}" -v b="${RATE_OF[xdp-floor-$q]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "–" }')")
    fi
  done
done
if [ ${#XDP_NOTES[@]} -gt 0 ]; then
  printf '\n'
  printf -- '- %s\n' "${XDP_NOTES[@]}"
fi
