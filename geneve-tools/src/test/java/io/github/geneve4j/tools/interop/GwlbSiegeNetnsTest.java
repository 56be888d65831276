package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 28's siege of {@code geneve gwlb} in kernel-inspection mode, between two namespaces (the GWLB
 * stand-in with the real GWLB's address 172.31.9.1 and an attacker's 172.31.9.9; the appliance
 * 172.31.9.2), run by {@link GwlbSiege}: while 100 concurrent flows of the real GWLB run, an attacker
 * sends 20,000 flows of 1,000 endpoint IDs and replays every datagram of the real flows, 50 slow clients
 * hold the health port, and the hook fails for every endpoint ID but the real one. Twice: (a) with the
 * attacker outside the {@code --gwlb} list, (b) inside it ({@code --gwlb 0.0.0.0/0}). Both times every
 * real datagram is answered to the real GWLB and none to the attacker, and every health check gets 200.
 */
@Tag("system")
@Timeout(180)
class GwlbSiegeNetnsTest {

    private static final String RUN = String.valueOf(ProcessHandle.current().pid() % 10_000);
    private static final String GW = "g4j-sg" + RUN;
    private static final String AP = "g4j-sa" + RUN;
    private static final String IP_GW = "172.31.9.1";
    private static final String IP_ATTACKER = "172.31.9.9";
    private static final String IP_AP = "172.31.9.2";
    private static final int SECONDS = 8;
    private static Path dir;
    private static Path hook;

    @BeforeAll
    static void namespaces() throws Exception {
        Netns.requireOrSkip("GWLB siege", List.of("ip", "iptables", "tun"));
        dir = Files.createTempDirectory("g4j-siege");
        delete();
        String veth = "g4js" + RUN;
        Netns.veth(GW, veth, IP_GW, AP, veth + "a", IP_AP, 1);
        Netns.sh("ip -n " + GW + " addr add " + IP_ATTACKER + "/24 dev " + veth);
        // the real endpoint's devices are routed through the kernel; every other endpoint ID's hook fails
        hook = dir.resolve("hook.sh");
        Files.writeString(hook, """
                #!/bin/sh
                # $1 CREATE|DESTROY, $2 ingress (gwi-X), $3 egress (gwo-X), $4 the endpoint ID in hex
                [ "$4" = "%s" ] || { echo "hook: refusing $1 $4" >&2; exit 1; }
                set -e
                case "$1" in
                CREATE)
                  ip link set "$2" up
                  ip link set "$3" up
                  sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$2.rp_filter=0"
                  ip rule add iif "$2" table 150
                  ip route add default dev "$3" table 150
                  echo "hook: CREATE $2 $3 $4" ;;
                DESTROY)
                  echo "hook: DESTROY $2 $3 $4" ;;
                esac
                """.formatted(HexFormat.of().toHexDigits(GwlbSiege.REAL_ENDPOINT)));
        hook.toFile().setExecutable(true);
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

    /** Runs the appliance with {@code gwlb} as its allow-list and the siege against it; the appliance's last stats line. */
    private static String siege(String name, String gwlb) throws Exception {
        Path log = dir.resolve(name + ".log");
        Process appliance = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", gwlb, "--health-port", "8080",
                "--mode", "kernel", "--hook", hook.toString()), log);
        Netns.Result r;
        try {
            Netns.waitForLine(log, "kernel inspection", 30);
            r = Netns.run(60, Netns.java(GW, GwlbSiege.class.getName(), IP_GW, IP_ATTACKER, IP_AP, "8080",
                    String.valueOf(SECONDS)));
        } finally {
            Netns.stop(appliance);
        }
        String output = Files.readString(log);
        System.out.println("siege (" + name + ", --gwlb " + gwlb + "):\n" + r.output()
                + output.lines().filter(l -> l.startsWith("gwlb: ")).reduce((a, b) -> b).orElse("(no stats line)"));
        assertThat(r.output()).as(r.output() + output).contains("ALL OK");
        assertThat(r.code()).isZero();
        return output.lines().filter(l -> l.startsWith("gwlb: ")).reduce((a, b) -> b).orElseThrow();
    }

    private static long count(String stats, String reason) {
        Matcher m = Pattern.compile(reason + " (\\d+)").matcher(stats);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void fromOutsideTheAllowListEverythingIsNotGwlbAndTheRealFlowsAreAllAnswered() throws Exception {
        String stats = siege("outside", IP_GW + "/32");
        // the 20,000 flows at 20,000/s for ~7 s and the replays, all counted unparsed
        assertThat(count(stats, "NOT_GWLB")).as(stats).isGreaterThan(100_000);
        assertThat(stats).as(stats).doesNotContain("FLOW_SOURCE_MISMATCH", "KERNEL_ENDPOINT_LIMIT")
                .contains("(1 device pairs)");
    }

    @Test
    void fromInsideItTheBoundsHoldAndTheRealFlowsAreAllAnsweredAndNoneRedirected() throws Exception {
        String stats = siege("inside", "0.0.0.0/0");
        assertThat(count(stats, "FLOW_SOURCE_MISMATCH")).as("every replay refused: " + stats).isGreaterThan(5_000);
        assertThat(count(stats, "KERNEL_ENDPOINT_LIMIT")).as("endpoint IDs past 64 refused: " + stats).isGreaterThan(0);
        assertThat(stats).as("one device pair, the real endpoint's: " + stats).contains("(1 device pairs)");
    }
}
