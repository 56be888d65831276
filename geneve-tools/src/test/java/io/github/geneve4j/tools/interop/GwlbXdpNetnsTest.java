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
 * {@code geneve gwlb --io xdp} between two namespaces joined by a veth pair with two queues each way:
 * a GWLB stand-in in {@code g4j-xa-N} (172.31.9.1) and the appliance on AF_XDP in {@code g4j-xb-N}
 * (172.31.9.2). The same series of datagrams ({@link GwlbProbe}) goes to the appliance on sockets and
 * on AF_XDP, and the replies — source address and port, bytes — are the same; the stand-in's byte
 * for byte checks ({@link GwlbStandIn}'s pass scenario, health port included) hold on AF_XDP; ping
 * and ARP between the namespaces go on while the program is attached, and the program is gone once
 * the appliance stopped, also after {@code kill -9}.
 */
@Tag("system")
@Timeout(240)
class GwlbXdpNetnsTest {

    private static final String RUN = String.valueOf(ProcessHandle.current().pid() % 10_000);
    private static final String GW = "g4j-xa-" + RUN;
    private static final String AP = "g4j-xb-" + RUN;
    private static final String DEVICE = "g4jxb" + RUN;
    private static final String IP_GW = "172.31.9.1";
    private static final String IP_AP = "172.31.9.2";
    private static Path dir;

    @BeforeAll
    static void namespaces() throws Exception {
        Netns.requireOrSkip("GWLB appliance on AF_XDP", List.of("ip", "ping"));
        dir = Files.createTempDirectory("g4j-gwlb-xdp");
        delete();
        Netns.veth(GW, "g4jxa" + RUN, IP_GW, AP, DEVICE, IP_AP, 2);
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

    /** The probe's lines against the appliance started with {@code args}, after {@code ready} appeared in its output. */
    private static String probe(String name, String ready, String... args) throws Exception {
        Path log = dir.resolve(name + ".log");
        Process gwlb = Netns.start(Netns.geneve(AP, args), log);
        try {
            Netns.waitForLine(log, ready, 60);
            Netns.Result r = Netns.run(120, Netns.java(GW, GwlbProbe.class.getName(), IP_GW, IP_AP));
            assertThat(r.output()).as(r.output()).contains("probe done");
            return r.output();
        } finally {
            Netns.stop(gwlb);
        }
    }

    private static String link() throws Exception {
        return Netns.run(10, "ip", "-n", AP, "-d", "link", "show", "dev", DEVICE).output();
    }

    @Test
    void repliesOnAfXdpAreTheSocketPathsByteForByteAndTheHostKeepsWorking() throws Exception {
        String sockets = probe("sockets", "gwlb appliance on " + IP_AP + ":6081", "gwlb", "--local", IP_AP, "--gwlb", IP_GW);
        assertThat(sockets).contains("datagram 0 ").contains("from " + IP_AP + ":40101 ").contains("from " + IP_AP + ":40102 ");
        assertThat(sockets.lines().filter(l -> l.endsWith(": none"))).as("the two without GWLB's options").hasSize(2);

        Path log = dir.resolve("xdp.log");
        Process gwlb = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", IP_GW, "--io", "xdp", "--interface", DEVICE,
                "--queues", "2", "--health-port", "8080"), log);
        String xdp;
        try {
            Netns.waitForLine(log, "gwlb appliance on " + IP_AP + ":6081 from " + IP_GW + ", 2 receive threads, pass-through, replies in place "
                    + "(AF_XDP on " + DEVICE, 60);
            assertThat(link()).contains("prog/xdp");
            Netns.Result standIn = Netns.run(60, Netns.java(GW, GwlbStandIn.class.getName(), IP_GW, IP_AP, "8080", "pass"));
            assertThat(standIn.output()).as(standIn.output()).contains("ALL OK");
            Netns.Result probe = Netns.run(120, Netns.java(GW, GwlbProbe.class.getName(), IP_GW, IP_AP));
            xdp = probe.output();
            // ARP and ping go through the kernel as before
            Netns.sh("ip -n " + GW + " neigh flush all && ip netns exec " + GW + " ping -c 2 -W 5 " + IP_AP);
            assertThat(Netns.run(10, "ip", "-n", GW, "neigh", "show", IP_AP).output()).contains("lladdr");
        } finally {
            Netns.stop(gwlb);
        }
        assertThat(xdp).isEqualTo(sockets);
        String output = Files.readString(log);
        assertThat(output).contains("xdp queue 0: XdpStatistics[", "xdp queue 1: XdpStatistics[")
                .containsPattern("gwlb: received \\d+, forwarded \\d+, dropped 4 ");
        for (int i = 0; i < 100 && link().contains("prog/xdp"); i++) {
            Thread.sleep(100);
        }
        assertThat(link()).as("the program detached once the appliance stopped").doesNotContain("prog/xdp");
    }

    @Test
    void theProgramGoesWithAKilledAppliance() throws Exception {
        Path log = dir.resolve("killed.log");
        Process gwlb = Netns.start(Netns.geneve(AP, "gwlb", "--local", IP_AP, "--gwlb", IP_GW, "--io", "xdp", "--interface", DEVICE), log);
        try {
            Netns.waitForLine(log, "replies in place (AF_XDP on " + DEVICE, 60);
            assertThat(link()).contains("prog/xdp");
            gwlb.destroyForcibly(); // SIGKILL: no shutdown hook, no close; the BPF link goes with the process
            assertThat(gwlb.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(gwlb.exitValue()).isEqualTo(137);
        } finally {
            Netns.stop(gwlb);
        }
        for (int i = 0; i < 100 && link().contains("prog/xdp"); i++) {
            Thread.sleep(100);
        }
        assertThat(link()).as("the program detached once the appliance was killed").doesNotContain("prog/xdp");
    }
}
