package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.tools.cli.GwlbCommandTest.Run;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code geneve gwlb --metrics}: the appliance's counters scraped over HTTP while it runs, on loopback. */
@Timeout(60)
class GwlbMetricsCommandTest {

    @Test
    void servesTheAppliancesCountersAsPrometheusMetrics() throws Exception {
        int port = 26083;
        int metricsPort = 29465;
        CompletableFuture<Run> gwlb = CompletableFuture.supplyAsync(() -> GwlbCommandTest.run("gwlb", "--local",
                "127.0.0.1:" + port, "--gwlb", "127.0.0.1/32", "--reply", "udp", "--metrics", "127.0.0.1:" + metricsPort,
                "--duration", "4"));
        byte[] datagram = HexFormat.of().parseHex("08000800000000000108010211223344556677880108020299aabbccddeeff00"
                + "010803011234567845000014000000004011000000000a0000010a000002");
        InetSocketAddress appliance = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port);
        try (DatagramChannel peer = DatagramChannel.open(StandardProtocolFamily.INET)) {
            peer.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            peer.configureBlocking(false);
            ByteBuffer reply = ByteBuffer.allocate(200);
            for (int i = 0; i < 50 && reply.position() == 0; i++) {
                peer.send(ByteBuffer.wrap(datagram), appliance);
                Thread.sleep(50);
                peer.receive(reply);
            }
            assertThat(reply.position()).as("the appliance answered").isEqualTo(datagram.length);
        }
        String scrape = scrape(metricsPort);
        assertThat(scrape).startsWith("HTTP/1.1 200");
        assertThat(scrape).containsPattern("geneve_gwlb_datagrams_total\\{direction=\"received\"} [1-9]")
                .containsPattern("geneve_gwlb_datagrams_total\\{direction=\"forwarded\"} [1-9]")
                .contains("geneve_gwlb_drops_total{reason=\"bad-geneve\"} 0.0").contains("geneve_gwlb_healthy 1.0")
                .contains("jvm_threads_current");
        Run r = gwlb.get();
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("metrics on http://127.0.0.1:" + metricsPort + "/metrics");
    }

    /** One GET of /metrics; the listener starts just after the appliance, so a refused connection is tried again (5 s at most). */
    private static String scrape(int port) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try (Socket http = new Socket()) {
                http.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 2000);
                http.setSoTimeout(5000);
                http.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return new String(http.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.net.ConnectException notYet) {
                if (attempt == 50) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }
}
