#!/usr/bin/env bash
# Builds (up) or removes (down) the Open vSwitch interop topology (OVS in userspace, netdev datapath):
#
#   namespace $NS_OVS                                namespace $NS_JAVA
#   br-int 10.0.0.1/24 --gnv0 (VNI 5000)--+          veth $VETH_JAVA 172.31.0.2/24
#   br-phy 172.31.0.1/24 -- $VETH_OVS ----+--------- (our endpoint binds 172.31.0.2:6081;
#   ovsdb-server + ovs-vswitchd (userspace)           its virtual host is 10.0.0.2)
#
# Every address lives inside the two namespaces this script creates; "down" stops the daemons
# by PID and deletes the namespaces. Usage: ovs-topology.sh up|down DIR [extra gnv0 options...]
set -euo pipefail
action=$1
dir=$2
shift 2
NS_OVS=${NS_OVS:-g4j-ovs}
NS_JAVA=${NS_JAVA:-g4j-java}
VETH_OVS=${VETH_OVS:-g4jo}
VETH_JAVA=${VETH_JAVA:-g4jj}
export OVS_RUNDIR=$dir/run OVS_LOGDIR=$dir/log OVS_DBDIR=$dir/db OVS_SYSCONFDIR=$dir/etc

down() {
  for daemon in ovs-vswitchd ovsdb-server; do
    if [ -f "$dir/run/$daemon.pid" ]; then
      pid=$(cat "$dir/run/$daemon.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/run/$daemon.pid"
    fi
  done
  ip netns del "$NS_OVS" 2>/dev/null || true
  ip netns del "$NS_JAVA" 2>/dev/null || true
}

up() {
  down
  mkdir -p "$dir/run" "$dir/log" "$dir/db" "$dir/etc"
  rm -f "$dir/db/conf.db"
  ip netns add "$NS_OVS"
  ip netns add "$NS_JAVA"
  ip link add "$VETH_OVS" type veth peer name "$VETH_JAVA"
  ip link set "$VETH_OVS" netns "$NS_OVS"
  ip link set "$VETH_JAVA" netns "$NS_JAVA"
  ip -n "$NS_OVS" link set lo up
  ip -n "$NS_JAVA" link set lo up
  ip -n "$NS_OVS" link set "$VETH_OVS" up
  ip -n "$NS_JAVA" link set "$VETH_JAVA" up
  ip -n "$NS_JAVA" addr add 172.31.0.2/24 dev "$VETH_JAVA"
  # userspace datapath: no offloads on the veth, or OVS may see unchecksummed frames
  ip netns exec "$NS_OVS" ethtool -K "$VETH_OVS" tx off rx off >/dev/null 2>&1 || true
  ip netns exec "$NS_JAVA" ethtool -K "$VETH_JAVA" tx off rx off >/dev/null 2>&1 || true

  ovsdb-tool create "$dir/db/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ip netns exec "$NS_OVS" ovsdb-server --remote=punix:"$dir/run/db.sock" --pidfile="$dir/run/ovsdb-server.pid" \
    --detach --log-file="$dir/log/ovsdb-server.log" "$dir/db/conf.db"
  local V="ovs-vsctl --db=unix:$dir/run/db.sock"
  $V --no-wait init
  ip netns exec "$NS_OVS" ovs-vswitchd unix:"$dir/run/db.sock" --pidfile="$dir/run/ovs-vswitchd.pid" --detach \
    --log-file="$dir/log/ovs-vswitchd.log" </dev/null >/dev/null 2>&1
  $V add-br br-int -- set bridge br-int datapath_type=netdev
  $V add-br br-phy -- set bridge br-phy datapath_type=netdev
  $V add-port br-phy "$VETH_OVS"
  $V add-port br-int gnv0 -- set interface gnv0 type=geneve options:remote_ip=172.31.0.2 options:key=5000 "$@"
  ip -n "$NS_OVS" addr add 172.31.0.1/24 dev br-phy
  ip -n "$NS_OVS" addr add 10.0.0.1/24 dev br-int
  ip -n "$NS_OVS" link set br-phy up
  ip -n "$NS_OVS" link set br-int up
}

case "$action" in
  up) up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
