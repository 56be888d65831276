package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code geneve gwlb} without privileges: its refusals, and a pass-through run on loopback with {@code --reply udp}. */
@Timeout(60)
class GwlbCommandTest {

    record Run(int code, String out, String err) {
    }

    /** A UDP and TCP port free on loopback now (other engineers' tests run at the same time: no fixed ports). */
    static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void refusesWhatGwlbCannotUse() {
        Run v6 = run("gwlb", "--local", "[::1]", "--gwlb", "10.0.0.1");
        assertThat(v6.code()).isEqualTo(2);
        assertThat(v6.err()).contains("expected: one IPv4 address; GWLB sends over IPv4 only");
        assertThat(run("gwlb", "--local", "0.0.0.0", "--gwlb", "10.0.0.1").code()).isEqualTo(2);
        Run threads = run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--threads", "0");
        assertThat(threads.code()).isEqualTo(2);
        assertThat(threads.err()).contains("expected --threads 1..64");
        assertThat(run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--hook", "/bin/true").code()).as("--hook needs --mode kernel")
                .isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--mode", "inline").code()).isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--max-endpoints", "8").code())
                .as("--max-endpoints needs --mode kernel").isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--mode", "kernel", "--max-endpoints", "0")
                .err()).contains("--max-endpoints 1..4096");
        assertThat(run("gwlb", "--local", "127.0.0.1", "--gwlb", "127.0.0.1", "--mode", "kernel", "--endpoint-idle", "0")
                .code()).isEqualTo(2);
        Run noSource = run("gwlb", "--local", "127.0.0.1");
        assertThat(noSource.code()).as("no --gwlb: refused").isEqualTo(2);
        assertThat(noSource.err()).contains("--gwlb");
        for (String bad : new String[] {"::1", "10.0.0.0/33", "10.0.0/8", "10.0.0.0/x", "gwlb.example"}) {
            Run r = run("gwlb", "--local", "127.0.0.1", "--gwlb", bad, "--reply", "udp");
            assertThat(r.code()).as(bad).isEqualTo(2);
            assertThat(r.err()).as(bad).contains("--gwlb " + bad + " (expected: ");
        }
    }

    @Test
    void passThroughOnLoopbackAnswersAGwlbDatagramAndPrintsItsStatistics() throws Exception {
        int port = 26081;
        CompletableFuture<Run> gwlb = CompletableFuture.supplyAsync(() -> run("gwlb", "--local", "127.0.0.1:" + port,
                "--gwlb", "127.0.0.1/32", "--gwlb", "192.0.2.0/24", "--reply", "udp", "--threads", "2", "--duration", "3"));
        byte[] datagram = java.util.HexFormat.of().parseHex("08000800000000000108010211223344556677880108020299aabbccddeeff00"
                + "010803011234567845000014000000004011000000000a0000010a000002".replace(" ", ""));
        try (DatagramChannel peer = DatagramChannel.open(StandardProtocolFamily.INET)) {
            peer.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            peer.configureBlocking(false);
            ByteBuffer reply = ByteBuffer.allocate(200);
            for (int i = 0; i < 50 && reply.position() == 0; i++) {
                peer.send(ByteBuffer.wrap(datagram), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
                Thread.sleep(50);
                peer.receive(reply);
            }
            assertThat(java.util.Arrays.copyOf(reply.array(), reply.position())).isEqualTo(datagram);
        }
        Run r = gwlb.get();
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).as("no warning for a narrow allow-list").doesNotContain("warning");
        assertThat(r.out()).contains("gwlb appliance on 127.0.0.1:26081 from 127.0.0.1/32, 192.0.2.0/24, 2 receive threads, pass-through, replies from port 26081 (udp)")
                .containsPattern("gwlb: received \\d+, forwarded \\d+, dropped 0, flows tcp 0 other 1");
    }

    @Test
    void aStrangerIsNeverAnsweredAndAnyOnlyWhenToldWithAWarning() throws Exception {
        int port = freePort();
        CompletableFuture<Run> gwlb = CompletableFuture.supplyAsync(() -> run("gwlb", "--local", "127.0.0.1:" + port,
                "--gwlb", "127.0.0.2", "--reply", "udp", "--duration", "2"));
        byte[] datagram = java.util.HexFormat.of().parseHex("08000800000000000108010211223344556677880108020299aabbccddeeff00"
                + "010803011234567845000014000000004011000000000a0000010a000002");
        try (DatagramChannel stranger = DatagramChannel.open(StandardProtocolFamily.INET)) {
            stranger.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            stranger.configureBlocking(false);
            ByteBuffer reply = ByteBuffer.allocate(200);
            for (int i = 0; i < 20; i++) {
                stranger.send(ByteBuffer.wrap(datagram), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
                Thread.sleep(50);
                stranger.receive(reply);
            }
            assertThat(reply.position()).as("no reply to a source outside --gwlb").isZero();
        }
        Run r = gwlb.get();
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("gwlb: received (\\d+), forwarded 0, dropped \\1 \\(NOT_GWLB \\1\\)");
        int anyPort = freePort();
        Run any = run("gwlb", "--local", "127.0.0.1:" + anyPort, "--gwlb", "0.0.0.0/0", "--reply", "udp", "--duration", "0.2");
        assertThat(any.code()).as(any.err()).isZero();
        assertThat(any.err().lines().filter(l -> l.contains("warning")).toList()).as("said once")
                .containsExactly("geneve gwlb: warning: --gwlb 0.0.0.0/0 answers GWLB-shaped datagrams from any source;"
                        + " admit only GWLB's addresses to port " + anyPort + " in the underlay");
    }

    @Test
    void healthAnswersOnTheLocalAddressByDefaultAndOnIpv4AndIpv6WhenGivenBoth() throws Exception {
        Run lonely = run("gwlb", "--local", "127.0.0.1:26084", "--gwlb", "127.0.0.1", "--health-address", "::1");
        assertThat(lonely.code()).isEqualTo(2);
        assertThat(lonely.err()).contains("--health-address without --health-port");
        assertThat(run("gwlb", "--local", "127.0.0.1:26084", "--gwlb", "127.0.0.1", "--health-port", "26085",
                "--health-address", "example.org").err()).contains("(expected: an IPv4 or IPv6 address)");
        int udp = freePort();
        int health = freePort();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> gwlb = CompletableFuture.supplyAsync(() -> GeneveCommand.execute(new PrintWriter(out, true),
                new PrintWriter(err, true), "gwlb", "--local", "127.0.0.1:" + udp, "--gwlb", "127.0.0.1", "--reply", "udp",
                "--health-port", String.valueOf(health), "--health-address", "127.0.0.1", "--health-address", "[::1]", "--duration", "4"));
        for (int i = 0; i < 100 && !out.toString().contains("gwlb appliance on"); i++) {
            Thread.sleep(50);
        }
        assertThat(out.toString()).contains("health on TCP 127.0.0.1:" + health + ", [0:0:0:0:0:0:0:1]:" + health);
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            try (java.net.Socket s = new java.net.Socket(InetAddress.getByName(host), health)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                        .as(host).startsWith("HTTP/1.1 200 ").contains("\"healthy\":true");
            }
        }
        assertThat(gwlb.get()).as(err.toString()).isZero();
        int udp2 = freePort();
        int health2 = freePort();
        CompletableFuture<Run> byDefault = CompletableFuture.supplyAsync(() -> run("gwlb", "--local", "127.0.0.1:" + udp2,
                "--gwlb", "127.0.0.1", "--reply", "udp", "--health-port", String.valueOf(health2), "--duration", "0.5"));
        assertThat(byDefault.get().out()).contains("health on TCP 127.0.0.1:" + health2);
    }
}
