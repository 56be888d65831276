package io.github.geneve4j.tools.interop;

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
 * Two of our VTEPs back to back, each with a real kernel behind a TAP device, in two namespaces this
 * test creates and deletes:
 * namespace A's kernel (TAP 10.0.0.1) ⇄ vtep ⇄ Geneve over veth 172.31.1.1 ⇄ 172.31.1.2 ⇄ vtep ⇄
 * namespace B's kernel (TAP 10.0.0.2). Ping, and a 16 MiB TCP transfer whose bytes hash the same,
 * with zero TCP checksum errors in either kernel; with offload off (the kernel segments and
 * checksums) and on (the kernel hands us 64 KiB super-frames with partial checksums, which our
 * segmenter cuts, and our coalescer gives the receiving kernel large frames back).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("system")
class VtepTest {

    private static final String A = "g4j-va";
    private static final String B = "g4j-vb";
    private Path dir;
    private Process vtepA;
    private Process vtepB;

    @BeforeAll
    static void require() throws Exception {
        Netns.requireOrSkip("TAP VTEP suite", List.of("ip", "tun", "nstat"));
    }

    void up(String offload) throws Exception {
        up(offload, "native");
    }

    void up(String offload, String transport) throws Exception {
        up(offload, transport, 1);
    }

    void up(String offload, String transport, int workers) throws Exception {
        dir = Files.createTempDirectory("g4j-vtep");
        down();
        Netns.sh("ip netns add " + A + " && ip netns add " + B
                + " && ip link add g4jxa type veth peer name g4jxb"
                + " && ip link set g4jxa netns " + A + " && ip link set g4jxb netns " + B
                + " && ip -n " + A + " link set lo up && ip -n " + B + " link set lo up"
                + " && ip -n " + A + " link set g4jxa up && ip -n " + B + " link set g4jxb up"
                + " && ip -n " + A + " addr add 172.31.1.1/24 dev g4jxa"
                + " && ip -n " + B + " addr add 172.31.1.2/24 dev g4jxb");
        vtepA = Netns.start(Netns.geneve(A, "vtep", "--tap", "g4jtap", "--local", "172.31.1.1",
                "--remote", "172.31.1.2", "--offload", offload, "--transport", transport, "--workers", "" + workers,
                "--stats", "1"), dir.resolve("vtep-a.log"));
        vtepB = Netns.start(Netns.geneve(B, "vtep", "--tap", "g4jtap", "--local", "172.31.1.2",
                "--remote", "172.31.1.1", "--offload", offload, "--transport", transport, "--workers", "" + workers,
                "--stats", "1"), dir.resolve("vtep-b.log"));
        Netns.waitForLine(dir.resolve("vtep-a.log"), "set the TAP's MTU to 1450", 30);
        Netns.waitForLine(dir.resolve("vtep-b.log"), "set the TAP's MTU to 1450", 30);
        Netns.sh("ip -n " + A + " addr add 10.0.0.1/24 dev g4jtap && ip -n " + A + " link set g4jtap mtu 1450 up"
                + " && ip -n " + B + " addr add 10.0.0.2/24 dev g4jtap && ip -n " + B + " link set g4jtap mtu 1450 up");
    }

    @AfterEach
    void down() throws Exception {
        Netns.stop(vtepA);
        Netns.stop(vtepB);
        Netns.run(30, "sh", "-c", "ip netns del " + A + " 2>/dev/null; ip netns del " + B + " 2>/dev/null; true");
    }

    void pingAndTransfer() throws Exception {
        Netns.Result ping = Netns.run(30, "ip", "netns", "exec", A, "ping", "-c", "3", "-i", "0.3", "-W", "3", "10.0.0.2");
        assertThat(ping.output()).contains("3 packets transmitted, 3 received, 0% packet loss");
        Netns.Result back = Netns.run(30, "ip", "netns", "exec", B, "ping", "-c", "2", "-i", "0.3", "-W", "3", "10.0.0.1");
        assertThat(back.output()).contains("2 packets transmitted, 2 received, 0% packet loss");
        VtepTestSupport.transfer(dir, A, B, "10.0.0.2", 16L << 20);
        VtepTestSupport.transfer(dir, B, A, "10.0.0.1", 4L << 20);
    }

    @Test
    void withoutOffloadKernelsPingAndCarryTcpIntact() throws Exception {
        up("off");
        pingAndTransfer();
        VtepStats a = VtepStats.last(dir.resolve("vtep-a.log"));
        assertThat(a.superFrames()).as("no GSO without offload").isZero();
        assertThat(a.toTunnelPackets()).isGreaterThan((16L << 20) / 1450);
    }

    @Test
    void withOffloadSuperFramesAreSegmentedAndCoalescedAndTcpArrivesIntact() throws Exception {
        up("on");
        checkOffload();
    }

    @Test
    void onNettysEpollTransportTheSameDataPathCarriesTcpIntact() throws Exception {
        up("on", "netty");
        checkOffload();
    }

    @Test
    void withTwoWorkerPairsOnAMultiQueueTapTcpArrivesIntactBothWays() throws Exception {
        up("on", "native", 2);
        assertThat(Files.readString(dir.resolve("vtep-a.log"))).contains("2 worker pairs");
        for (String ns : List.of(A, B)) {
            Netns.Result link = Netns.run(30, "ip", "-n", ns, "-d", "link", "show", "g4jtap");
            assertThat(link.output()).as(ns).contains("multi_queue").contains("numtxqueues 2");
        }
        // UDP_SEGMENT and GRO on every pair's socket, and the sockets' filters leave the tunnel's own traffic alone
        checkOffload();
    }

    void checkOffload() throws Exception {
        pingAndTransfer();
        VtepStats a = VtepStats.last(dir.resolve("vtep-a.log"));
        VtepStats b = VtepStats.last(dir.resolve("vtep-b.log"));
        // A's kernel sent 16 MiB in super-frames that our segmenter cut; B's vtep merged them back
        assertThat(a.superFrames()).as(a.line()).isGreaterThan(0);
        assertThat(a.segments()).as(a.line()).isGreaterThan(2 * a.superFrames());
        assertThat(b.coalescedWrites()).as(b.line()).isGreaterThan(0);
        assertThat(b.coalescedDatagrams()).as(b.line()).isGreaterThan(2 * b.coalescedWrites());
        assertThat(a.drops()).as(a.line()).doesNotContainKeys("too-many-segments", "bad-checksum-offsets", "send-error", "device-write-error");
        // over a veth that checksums, UDP segmentation sends many datagrams per call, and UDP GRO
        // hands the other side many per receive
        assertThat(a.udpSends()).as(a.line()).isLessThan(a.toTunnelPackets() / 4);
        assertThat(b.udpReceives()).as(b.line()).isLessThan(b.toTapPackets() / 4);
    }
}
