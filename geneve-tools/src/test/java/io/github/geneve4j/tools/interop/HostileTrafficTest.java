package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.tools.interop.Underlay.A;
import static io.github.geneve4j.tools.interop.Underlay.B;
import static io.github.geneve4j.tools.interop.Underlay.C;
import static io.github.geneve4j.tools.interop.Underlay.IP_B;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile traffic on a three-host underlay (namespaces this test creates and deletes): a stranger
 * (C) that reaches a vtep's UDP port with the right VNI injects nothing into the kernel behind the
 * TAP, and while it floods datagrams of every kind the peers' TCP transfer completes intact and
 * both vteps stay up.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@Tag("system")
class HostileTrafficTest {

    private Underlay underlay;

    @BeforeAll
    static void require() throws Exception {
        Netns.requireOrSkip("hostile-traffic suite", List.of("ip", "tun", "nstat", "tshark", "ping"));
    }

    @AfterEach
    void down() throws Exception {
        if (underlay != null) {
            underlay.close();
        }
    }

    /** Frames with the stranger's source MAC (02:de:ad:be:ef:01) seen on B's TAP while {@code action} runs. */
    private int strangerFramesOnTap(Underlay u, String label, Action action) throws Exception {
        Path pcap = u.dir.resolve("tap-" + label + ".pcap");
        Path log = u.dir.resolve("tshark-" + label + ".log");
        Process capture = Netns.start(List.of("ip", "netns", "exec", B, "tshark", "-i", "g4jtap", "-f",
                "ether src 02:de:ad:be:ef:01", "-w", pcap.toString()), log);
        try {
            Netns.waitForLine(log, "Capturing on", 20);
            TimeUnit.MILLISECONDS.sleep(300);
            action.run();
            TimeUnit.SECONDS.sleep(1);
        } finally {
            Netns.stop(capture);
        }
        Netns.Result read = Netns.run(30, "tshark", "-r", pcap.toString(), "-T", "fields", "-e", "frame.number");
        return (int) read.output().lines().filter(l -> l.strip().matches("\\d+")).count(); // not tshark's warnings
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    @Test
    void aStrangerWithTheRightVniPutsNothingOnTheTapAndIsCounted() throws Exception {
        underlay = new Underlay();
        underlay.start("on");
        // 50 ARP requests with the right VNI from C: before the source check, 100 ARP frames reached the TAP
        int fromStranger = strangerFramesOnTap(underlay, "stranger", () -> {
            Process flood = underlay.flood(C, IP_B + ":6081", 1000, 0.05, "arp", "flood-arp.log");
            assertThat(flood.waitFor(30, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(fromStranger).as("stranger's frames on B's TAP").isZero();
        String sent = Files.readString(underlay.dir.resolve("flood-arp.log"));
        long count = Long.parseLong(sent.replaceAll("(?s).*sent (\\d+) datagrams.*", "$1"));
        assertThat(count).isGreaterThanOrEqualTo(40);
        VtepStats b = VtepStats.last(underlay.dir.resolve("vtep-b.log"));
        assertThat(b.drops().getOrDefault("not-a-peer", 0L)).as(b.line()).isEqualTo(count);

        // the same datagrams from the peer's address (another source port) do reach the TAP: the
        // capture sees what it should, and it is the source check that stopped C's
        int fromPeer = strangerFramesOnTap(underlay, "peer", () -> {
            Process flood = underlay.flood(A, IP_B + ":6081", 1000, 0.01, "arp", "flood-peer.log");
            assertThat(flood.waitFor(30, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(fromPeer).as("the same frames from the peer's address: %s; %s",
                Files.readString(underlay.dir.resolve("flood-peer.log")).strip(),
                VtepStats.last(underlay.dir.resolve("vtep-b.log")).line()).isPositive();
    }

    @Test
    void withTheKernelFilterTheStrangersDatagramsNeverReachTheVtep() throws Exception {
        underlay = new Underlay();
        underlay.vtepA = underlay.vtep(A, "on", "vtep-a.log", "--kernel-filter", "on");
        underlay.vtepB = underlay.vtep(B, "on", "vtep-b.log", "--kernel-filter", "on");
        underlay.addresses();
        Underlay.ping(A, "10.0.0.2", 2);
        long errorsBefore = udpInErrors(B);
        int fromStranger = strangerFramesOnTap(underlay, "stranger-filtered", () -> {
            Process flood = underlay.flood(C, IP_B + ":6081", 1000, 0.05, "arp", "flood-filtered.log");
            assertThat(flood.waitFor(30, TimeUnit.SECONDS)).isTrue();
        });
        assertThat(fromStranger).isZero();
        String sent = Files.readString(underlay.dir.resolve("flood-filtered.log"));
        long count = Long.parseLong(sent.replaceAll("(?s).*sent (\\d+) datagrams.*", "$1"));
        VtepStats b = VtepStats.last(underlay.dir.resolve("vtep-b.log"));
        // the kernel dropped them before the vtep saw them: counted there (once per GRO batch: the flooder
        // sends 32 at a time with UDP_SEGMENT, which reach the socket whole), not by the vtep
        assertThat(b.drops()).as(b.line()).doesNotContainKey("not-a-peer");
        assertThat(count).isPositive();
        assertThat(udpInErrors(B) - errorsBefore).isBetween(1L, count);
        VtepTestSupport.transfer(underlay.dir, A, B, "10.0.0.2", 4L << 20); // the peer still gets through
    }

    private static long udpInErrors(String ns) throws Exception {
        Netns.Result r = Netns.run(10, "ip", "netns", "exec", ns, "nstat", "-az", "UdpInErrors");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("UdpInErrors\\s+(\\d+)").matcher(r.output());
        assertThat(m.find()).as(r.output()).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void aFloodOfEveryKindDuringATransferLeavesTheTransferIntactAndBothVtepsUp() throws Exception {
        underlay = new Underlay();
        underlay.start("on");
        Process flood = underlay.flood(C, IP_B + ":6081", 0, 12, "all", "flood-all.log");
        Process floodA = underlay.flood(C, Underlay.IP_A + ":6081", 0, 12, "all", "flood-all-a.log");
        try {
            TimeUnit.MILLISECONDS.sleep(500);
            VtepTestSupport.transfer(underlay.dir, A, B, "10.0.0.2", 32L << 20);
            VtepTestSupport.transfer(underlay.dir, B, A, "10.0.0.1", 8L << 20);
            assertThat(flood.isAlive()).as("the flood lasted the transfers").isTrue();
        } finally {
            assertThat(flood.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(floodA.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(underlay.vtepA.isAlive()).isTrue();
        assertThat(underlay.vtepB.isAlive()).isTrue();
        Underlay.ping(A, "10.0.0.2", 3);
        Underlay.ping(B, "10.0.0.1", 2);
        String sent = Files.readString(underlay.dir.resolve("flood-all.log"));
        long count = Long.parseLong(sent.replaceAll("(?s).*sent (\\d+) datagrams.*", "$1"));
        assertThat(count).as(sent).isGreaterThan(20_000);
        VtepStats b = VtepStats.last(underlay.dir.resolve("vtep-b.log"));
        // everything C sent that the kernel did not drop first was refused by the source check alone
        assertThat(b.drops()).as(b.line()).containsOnlyKeys("not-a-peer");
        assertThat(b.drops().get("not-a-peer")).as(b.line()).isPositive();
        String logB = Files.readString(underlay.dir.resolve("vtep-b.log"));
        assertThat(logB).doesNotContain("Exception").doesNotContain("geneve:");
    }
}
