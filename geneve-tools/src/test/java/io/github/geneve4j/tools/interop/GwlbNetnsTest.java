package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code geneve gwlb} and the appliance API between two network namespaces: a GWLB stand-in
 * ({@link GwlbStandIn}, 172.31.7.1) and the appliance (172.31.7.2) on a veth pair. The stand-in sends
 * AWS-layout datagrams around IPv4 TCP, UDP, ICMP and IPv6 packets from two endpoint IDs, with an
 * extra non-GWLB option, from two source ports, and byte-compares every reply, which must come back
 * from the appliance's address to UDP 6081 with the source port it was sent from (the raw return path);
 * datagrams without the options stay unanswered; the health port answers 200, then 503 once a receive
 * thread died; a hook drops one flow and rewrites another.
 */
@Tag("system")
@Timeout(120)
class GwlbNetnsTest {

    private static final String RUN = String.valueOf(ProcessHandle.current().pid() % 10_000);
    private static final String GW = "g4j-gw" + RUN;
    private static final String AP = "g4j-ap" + RUN;
    private static final String IP_GW = "172.31.7.1";
    /** A second address on GWLB's side, not in the appliance's --gwlb list. */
    private static final String STRANGER = "172.31.7.9";
    private static final String IP_AP = "172.31.7.2";
    private static Path dir;

    @BeforeAll
    static void namespaces() throws Exception {
        Netns.requireOrSkip("GWLB appliance suite", List.of("ip", "iptables", "tun"));
        dir = Files.createTempDirectory("g4j-gwlb");
        delete();
        String veth = "g4jg" + RUN;
        Netns.veth(GW, veth, IP_GW, AP, veth + "a", IP_AP, 1);
    }

    private static void delete() throws Exception {
        Netns.deleteNamespaces(GW, AP);
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (dir != null) {
            delete();
        }
    }

    private static Netns.Result standIn(String scenario) throws Exception {
        return Netns.run(60, Netns.java(GW, GwlbStandIn.class.getName(), IP_GW, IP_AP, "8080", scenario));
    }

    @Test
    void cliPassThroughAnswersEveryGwlbPacketByteForByteWithTheReceivedPorts() throws Exception {
        Path log = dir.resolve("gwlb.log");
        Process gwlb = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", IP_GW, "--health-port", "8080",
                "--threads", "2"), log);
        try {
            Netns.waitForLine(log, "gwlb appliance on " + IP_AP + ":6081 from " + IP_GW + ", 2 receive threads", 30);
            Netns.Result r = standIn("pass");
            assertThat(r.output()).as(r.output()).contains("ALL OK");
            assertThat(r.code()).isZero();
        } finally {
            Netns.stop(gwlb);
        }
        assertThat(Files.readString(log)).contains("gwlb: received 14, forwarded 12, dropped 2 (MISSING_GWLB_OPTIONS 2)");
    }

    @Test
    void cliAnswersNothingFromASourceOutsideItsGwlbList() throws Exception {
        Path log = dir.resolve("stranger.log");
        Netns.sh("ip netns exec " + GW + " ip addr add " + STRANGER + "/24 dev g4jg" + RUN);
        Process gwlb = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", IP_GW, "--health-port", "8080"), log);
        try {
            Netns.waitForLine(log, "gwlb appliance on " + IP_AP + ":6081 from " + IP_GW, 30);
            Netns.Result r = Netns.run(60, Netns.java(GW, GwlbStandIn.class.getName(), STRANGER, IP_AP, "8080", "stranger"));
            assertThat(r.output()).as(r.output()).contains("ALL OK");
            assertThat(r.code()).isZero();
        } finally {
            Netns.stop(gwlb);
            Netns.sh("ip netns exec " + GW + " ip addr del " + STRANGER + "/24 dev g4jg" + RUN + " 2>/dev/null; true");
        }
        assertThat(Files.readString(log)).contains("gwlb: received 20, forwarded 0, dropped 20 (NOT_GWLB 20)");
    }

    @Test
    void apiHookDropsOneFlowRewritesAnotherAndHealthTurns503WhenAThreadDies() throws Exception {
        Path log = dir.resolve("hooked.log");
        Process appliance = Netns.start(Netns.java(AP, GwlbHookedAppliance.class.getName(), IP_AP, "8080", "60"), log);
        try {
            Netns.waitForLine(log, "hooked appliance ready", 30);
            Netns.Result r = standIn("hook");
            assertThat(r.output()).as(r.output()).contains("ALL OK");
            assertThat(r.code()).isZero();
        } finally {
            Netns.stop(appliance);
        }
    }

    @Test
    void kernelModeHandsPacketsToTheKernelWhereAnIptablesRuleDropsOneFlow() throws Exception {
        Path hook = dir.resolve("hook.sh");
        Files.writeString(hook, """
                #!/bin/sh
                # $1 CREATE|DESTROY, $2 ingress (gwi-X), $3 egress (gwo-X), $4 the endpoint ID in hex
                set -e
                case "$1" in
                CREATE)
                  ip link set "$2" up
                  ip link set "$3" up
                  sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$2.rp_filter=0"
                  table=$(( 0x$(printf %s "$4" | cut -c13-16) % 200 + 100 ))
                  ip rule add iif "$2" table "$table"
                  ip route add default dev "$3" table "$table"
                  iptables -A FORWARD -i "$2" -p udp --dport 23 -j DROP
                  echo "hook: CREATE $2 $3 $4 table $table" ;;
                DESTROY)
                  echo "hook: DESTROY $2 $3 $4" ;;
                esac
                """);
        hook.toFile().setExecutable(true);
        Path log = dir.resolve("kernel.log");
        Process gwlb = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", IP_GW + "/32", "--health-port", "8080", "--mode", "kernel",
                "--hook", hook.toString(), "--max-endpoints", "8", "--endpoint-idle", "60"), log);
        String output;
        try {
            Netns.waitForLine(log, "kernel inspection", 30);
            Netns.Result r = standIn("kernel");
            assertThat(r.output()).as(r.output() + Files.readString(log)).contains("ALL OK");
            assertThat(r.code()).isZero();
            Netns.Result rules = Netns.run(10, "ip", "netns", "exec", AP, "iptables", "-L", "FORWARD", "-v", "-n");
            assertThat(rules.output()).as(rules.output()).containsPattern("\\s1\\s+\\d+ DROP .*udp dpt:23");
        } finally {
            Netns.stop(gwlb);
            output = Files.readString(log);
        }
        assertThat(output).contains("hook: CREATE gwi-", "hook: DESTROY gwi-");
    }
}
