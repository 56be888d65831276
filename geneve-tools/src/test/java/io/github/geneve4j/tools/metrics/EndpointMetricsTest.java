package io.github.geneve4j.tools.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.DropReason;
import io.github.geneve4j.endpoint.EndpointStats;
import io.github.geneve4j.endpoint.MacTableStats;
import io.github.geneve4j.endpoint.PeerStats;
import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdSessionStatus;
import io.github.geneve4j.endpoint.bfd.BfdState;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The exposition of an endpoint's statistics: names, types, labels, values. */
class EndpointMetricsTest {

    static final InetSocketAddress PEER_A = new InetSocketAddress("172.31.1.2", 6081);
    static final InetSocketAddress PEER_B = new InetSocketAddress("fd00::2", 6081);

    static EndpointStats sample() {
        BfdSessionStatus up = new BfdSessionStatus(BfdState.UP, BfdDiagnostic.NONE, BfdState.UP, 1, 2, true, 3, 40, 41, 0,
                900_000_000L);
        BfdSessionStatus down = new BfdSessionStatus(BfdState.DOWN, BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED,
                BfdState.DOWN, 5, 0, false, 1, 10, 9, 0, 0);
        return new EndpointStats(11, 1100, 22, 2200, 3, 30, 4, 40, 50, 60, 7,
                Map.of(DropReason.NOT_A_PEER, 8L, DropReason.SEND_ERROR, 9L),
                List.of(new PeerStats(PEER_A, 5, 500, 6, 600, 2, 12, up), new PeerStats(PEER_B, 6, 600, 16, 1600, 5, 1, down)),
                List.of(new MacTableStats(5000, 13, 65536, 20, 1, 0, 2, 3, 0, 5), new MacTableStats(5001, 0, 16, 0, 0, 0, 0, 0, 4)));
    }

    static String exposition(PrometheusRegistry registry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    static String endpointOnly(EndpointStats stats) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new EndpointMetrics(() -> stats));
        return exposition(registry);
    }

    @Test
    void everyCounterOfTheSnapshotIsASampleWithItsLabels() throws IOException {
        String text = endpointOnly(sample());
        assertThat(text).contains("# TYPE geneve_frames_total counter\n")
                .contains("geneve_frames_total{direction=\"to_tunnel\"} 11.0\n")
                .contains("geneve_frames_total{direction=\"from_tunnel\"} 22.0\n")
                .contains("geneve_bytes_total{direction=\"to_tunnel\"} 1100.0\n")
                .contains("geneve_bytes_total{direction=\"from_tunnel\"} 2200.0\n")
                .contains("geneve_drops_total{reason=\"not-a-peer\"} 8.0\n")
                .contains("geneve_drops_total{reason=\"send-error\"} 9.0\n")
                .contains("geneve_floods_total 7.0\n")
                .contains("geneve_gso_super_frames_total 3.0\n").contains("geneve_gso_segments_total 30.0\n")
                .contains("geneve_gro_writes_total 4.0\n").contains("geneve_gro_datagrams_total 40.0\n")
                .contains("geneve_udp_sends_total 50.0\n").contains("geneve_udp_receives_total 60.0\n")
                .contains("geneve_peer_frames_total{direction=\"sent\",peer=\"172.31.1.2:6081\"} 5.0\n")
                .contains("geneve_peer_frames_total{direction=\"received\",peer=\"[fd00:0:0:0:0:0:0:2]:6081\"} 16.0\n")
                .contains("geneve_peer_bytes_total{direction=\"received\",peer=\"172.31.1.2:6081\"} 600.0\n")
                .contains("geneve_peer_floods_total{peer=\"[fd00:0:0:0:0:0:0:2]:6081\"} 5.0\n")
                .contains("# TYPE geneve_peer_macs gauge\n").contains("geneve_peer_macs{peer=\"172.31.1.2:6081\"} 12.0\n")
                .contains("# TYPE geneve_bfd_session_state gauge\n")
                .contains("geneve_bfd_session_state{peer=\"172.31.1.2:6081\"} 3.0\n")
                .contains("geneve_bfd_session_state{peer=\"[fd00:0:0:0:0:0:0:2]:6081\"} 1.0\n")
                .contains("geneve_bfd_up_transitions_total{peer=\"172.31.1.2:6081\"} 3.0\n")
                .contains("geneve_mac_entries{vni=\"5000\"} 13.0\n").contains("geneve_mac_max_entries{vni=\"5001\"} 16.0\n")
                .contains("geneve_mac_learned_total{vni=\"5000\"} 20.0\n").contains("geneve_mac_moves_total{vni=\"5000\"} 1.0\n")
                .contains("geneve_mac_evictions_total{vni=\"5000\"} 2.0\n").contains("geneve_mac_aged_total{vni=\"5000\"} 3.0\n")
                .contains("geneve_mac_refusals_total{vni=\"5001\"} 4.0\n")
                .contains("geneve_mac_share_refusals_total{vni=\"5000\"} 5.0\n")
                .contains("geneve_mac_share_refusals_total{vni=\"5001\"} 0.0\n");
    }

    @Test
    void everyDropReasonIsASeriesFromTheStartSoARateHasABeginning() throws IOException {
        String text = endpointOnly(sample());
        for (DropReason reason : DropReason.values()) {
            assertThat(text).contains("geneve_drops_total{reason=\"" + EndpointStats.key(reason) + "\"} ");
        }
        assertThat(text).contains("geneve_drops_total{reason=\"malformed\"} 0.0\n");
    }

    @Test
    void labelValuesAreOnlyConfiguredPeersAndVnisAndOurOwnWords() throws IOException {
        String text = endpointOnly(sample());
        Map<String, Set<String>> values = labelValues(text);
        assertThat(values.keySet()).containsExactlyInAnyOrder("direction", "reason", "peer", "vni");
        assertThat(values.get("peer")).containsExactlyInAnyOrder("172.31.1.2:6081", "[fd00:0:0:0:0:0:0:2]:6081");
        assertThat(values.get("vni")).containsExactlyInAnyOrder("5000", "5001");
        assertThat(values.get("direction")).containsExactlyInAnyOrder("to_tunnel", "from_tunnel", "sent", "received");
        assertThat(values.get("reason")).hasSize(DropReason.values().length);
    }

    @Test
    void withoutBfdThereAreNoBfdSeries() throws IOException {
        EndpointStats s = sample();
        EndpointStats plain = new EndpointStats(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, Map.of(),
                List.of(new PeerStats(PEER_A, 1, 2, 3, 4)), s.macTables());
        assertThat(endpointOnly(plain)).doesNotContain("geneve_bfd_");
    }

    @Test
    void eachScrapeReadsOneFreshSnapshot() throws IOException {
        int[] reads = {0};
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new EndpointMetrics(() -> {
            reads[0]++;
            return sample();
        }));
        exposition(registry);
        exposition(registry);
        assertThat(reads[0]).isEqualTo(2);
    }

    @Test
    void theServersRegistryAddsTheJvmsBasics() throws IOException {
        String text = exposition(MetricsServer.registry(EndpointMetricsTest::sample));
        assertThat(text).contains("geneve_frames_total{direction=\"to_tunnel\"} 11.0\n")
                .contains("# TYPE jvm_memory_used_bytes gauge").contains("jvm_threads_current")
                .contains("# TYPE jvm_gc_collection_seconds summary").contains("process_cpu_seconds_total");
    }

    @Test
    void aRunningEndpointsCountersAreWhatTheServerExposes() throws Exception {
        try (LoopbackPair pair = new LoopbackPair();
             MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), pair.left::stats)) {
            pair.send(25);
            String answer = get(server.address());
            assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n")
                    .contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n")
                    .contains("geneve_frames_total{direction=\"to_tunnel\"} 25.0\n")
                    .contains("geneve_bytes_total{direction=\"to_tunnel\"} " + pair.left.stats().bytesToTunnel() + ".0\n")
                    .contains("geneve_peer_frames_total{direction=\"sent\",peer=\"" + EndpointMetrics.address(
                            pair.right.localAddress()) + "\"} 25.0\n");
        }
    }

    /** The whole answer to a GET of /metrics (headers and body; the listener closes the connection). */
    static String get(InetSocketAddress server) throws IOException {
        try (java.net.Socket s = new java.net.Socket(server.getAddress(), server.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Label name to the values it takes, over every sample line. */
    static Map<String, Set<String>> labelValues(String text) {
        Pattern label = Pattern.compile("(\\w+)=\"([^\"]*)\"");
        return text.lines().filter(l -> !l.startsWith("#") && l.contains("{"))
                .flatMap(l -> {
                    Matcher m = label.matcher(l.substring(l.indexOf('{'), l.lastIndexOf('}')));
                    return m.results().map(r -> Map.entry(r.group(1), r.group(2)));
                })
                .collect(Collectors.groupingBy(Map.Entry::getKey, Collectors.mapping(Map.Entry::getValue,
                        Collectors.toCollection(TreeSet::new))));
    }
}
