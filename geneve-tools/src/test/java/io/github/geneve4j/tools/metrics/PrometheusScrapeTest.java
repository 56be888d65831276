package io.github.geneve4j.tools.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: Debian's Prometheus server scrapes a running endpoint's {@code /metrics} (the
 * listener and collectors {@code geneve vtep --metrics} serves, over an endpoint pair on loopback:
 * no root, no namespace) every second; after traffic has stopped and one more scrape has passed,
 * what its query API answers equals the endpoint's own statistics. And {@code promtool check
 * metrics} accepts the exposition. Needs {@code prometheus} and {@code promtool} (Debian's
 * {@code prometheus} package): skipped loudly without them, failed with {@code CI=true}.
 */
@Tag("system")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrometheusScrapeTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static void requireOrSkip() throws Exception {
        for (String tool : new String[] {"prometheus", "promtool"}) {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + tool).redirectErrorStream(true).start();
            if (p.waitFor() != 0) {
                String message = "Prometheus scrape test NOT RUN: " + tool + " not installed (Debian: apt-get install prometheus)";
                if ("true".equals(System.getenv("CI"))) {
                    fail(message + " — and CI=true, where it is required");
                }
                System.err.println("SKIPPED: " + message);
                Assumptions.abort(message);
            }
        }
    }

    @Test
    void promtoolAcceptsTheExposition(@TempDir Path dir) throws Exception {
        requireOrSkip();
        try (LoopbackPair pair = new LoopbackPair();
             MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), pair.left::stats)) {
            pair.send(3);
            String answer = EndpointMetricsTest.get(server.address());
            Path exposition = dir.resolve("metrics.txt");
            Files.writeString(exposition, answer.substring(answer.indexOf("\r\n\r\n") + 4));
            Process check = new ProcessBuilder("promtool", "check", "metrics").redirectInput(exposition.toFile())
                    .redirectErrorStream(true).start();
            String output = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(check.waitFor()).as("promtool check metrics:\n" + output).isZero();
        }
    }

    @Test
    void prometheusScrapesTheEndpointAndReadsBackItsOwnCounters(@TempDir Path dir) throws Exception {
        requireOrSkip();
        try (LoopbackPair pair = new LoopbackPair();
             MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), pair.left::stats)) {
            int port = freeTcpPort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:
                      - job_name: vtep
                        static_configs:
                          - targets: ['127.0.0.1:%d']
                    """.formatted(server.address().getPort()));
            Path log = dir.resolve("prometheus.log");
            Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                String base = "http://127.0.0.1:" + port;
                waitUntilReady(base, prometheus, log);
                pair.send(40);
                pair.send(17);
                long stopped = System.currentTimeMillis();
                var own = pair.left.stats();
                assertThat(own.framesToTunnel()).isEqualTo(57);
                String frames = "geneve_frames_total{direction=\"to_tunnel\"}";
                // a scrape that began after the traffic stopped: its samples carry what the endpoint has now
                while (sampleTime(base, frames) * 1000 <= stopped) {
                    Thread.sleep(200);
                }
                assertThat(value(base, frames)).isEqualTo(own.framesToTunnel());
                assertThat(value(base, "geneve_bytes_total{direction=\"to_tunnel\"}")).isEqualTo(own.bytesToTunnel());
                String peer = EndpointMetrics.address(pair.right.localAddress());
                assertThat(value(base, "geneve_peer_frames_total{direction=\"sent\",peer=\"" + peer + "\"}"))
                        .isEqualTo(own.peers().get(0).framesSent());
                assertThat(value(base, "up{job=\"vtep\"}")).isEqualTo(1);
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly().waitFor();
                }
            }
        }
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void waitUntilReady(String base, Process prometheus, Path log) throws Exception {
        for (int i = 0; i < 300; i++) {
            if (!prometheus.isAlive()) {
                fail("prometheus exited with " + prometheus.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                if (get(base + "/-/ready").startsWith("Prometheus Server is Ready")) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        fail("prometheus not ready after 30 s:\n" + Files.readString(log));
    }

    /** The scrape time (Unix seconds) of the sample {@code selector} names, 0 while there is none. */
    private static double sampleTime(String base, String selector) throws IOException {
        JsonNode result = query(base, "timestamp(" + selector + ")");
        return result.isEmpty() ? 0 : result.get(0).get("value").get(1).asDouble();
    }

    /** The value of the one series {@code selector} names. */
    private static long value(String base, String selector) throws IOException {
        JsonNode result = query(base, selector);
        assertThat(result.size()).as(selector + ": " + result).isEqualTo(1);
        return Math.round(Double.parseDouble(result.get(0).get("value").get(1).asText()));
    }

    private static JsonNode query(String base, String promql) throws IOException {
        JsonNode answer = JSON.readTree(get(base + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
        assertThat(answer.get("status").asText()).as(answer.toString()).isEqualTo("success");
        return answer.get("data").get("result");
    }

    private static String get(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(5_000);
        c.setReadTimeout(10_000);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            c.disconnect();
        }
    }
}
