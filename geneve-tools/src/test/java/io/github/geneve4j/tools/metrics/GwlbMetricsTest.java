package io.github.geneve4j.tools.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.gwlb.GwlbDropReason;
import io.github.geneve4j.gwlb.GwlbStats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exposition of an appliance's statistics: names, types, labels, values; no sender-chosen label. */
class GwlbMetricsTest {

    static GwlbStats sample(int endpoints) {
        Map<GwlbDropReason, Long> drops = new EnumMap<>(GwlbDropReason.class);
        for (GwlbDropReason r : GwlbDropReason.values()) {
            drops.put(r, 0L);
        }
        drops.put(GwlbDropReason.BAD_GENEVE, 4L);
        drops.put(GwlbDropReason.SEND_FAILED, 2L);
        List<GwlbStats.EndpointFlows> ids = new ArrayList<>();
        for (int i = 0; i < endpoints; i++) {
            ids.add(new GwlbStats.EndpointFlows(0x2b8ee1d4db0c0000L + i, 1));
        }
        return new GwlbStats(100, 6800, 94, 6392, 7, drops, 3, 5, 20, 12, 1, 1024, ids, 11, 10, 2, 6, 8, 2, 1, false);
    }

    private static String exposition(GwlbStats stats) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new GwlbMetrics(() -> stats));
        return EndpointMetricsTest.exposition(registry);
    }

    @Test
    void everyCounterOfTheSnapshotIsASampleWithItsLabels() throws IOException {
        String text = exposition(sample(3));
        assertThat(text).contains("# TYPE geneve_gwlb_datagrams_total counter\n")
                .contains("geneve_gwlb_datagrams_total{direction=\"received\"} 100.0\n")
                .contains("geneve_gwlb_datagrams_total{direction=\"forwarded\"} 94.0\n")
                .contains("geneve_gwlb_bytes_total{direction=\"received\"} 6800.0\n")
                .contains("geneve_gwlb_bytes_total{direction=\"forwarded\"} 6392.0\n")
                .contains("geneve_gwlb_receive_batches_total 7.0\n")
                .contains("geneve_gwlb_drops_total{reason=\"bad-geneve\"} 4.0\n")
                .contains("geneve_gwlb_drops_total{reason=\"send-failed\"} 2.0\n")
                .contains("# TYPE geneve_gwlb_flows gauge\n")
                .contains("geneve_gwlb_flows{protocol=\"tcp\"} 3.0\n").contains("geneve_gwlb_flows{protocol=\"other\"} 5.0\n")
                .contains("geneve_gwlb_flows_created_total 20.0\n").contains("geneve_gwlb_flows_expired_total 12.0\n")
                .contains("geneve_gwlb_flow_table_full_total 1.0\n").contains("geneve_gwlb_flow_capacity 1024.0\n")
                .contains("geneve_gwlb_endpoints 3.0\n")
                .contains("geneve_gwlb_kernel_packets_total{direction=\"to_kernel\"} 11.0\n")
                .contains("geneve_gwlb_kernel_packets_total{direction=\"from_kernel\"} 10.0\n")
                .contains("geneve_gwlb_kernel_endpoints 2.0\n")
                .contains("geneve_gwlb_kernel_endpoint_failures_total 6.0\n")
                .contains("geneve_gwlb_kernel_endpoints_reclaimed_total 8.0\n")
                .contains("geneve_gwlb_receive_threads{state=\"started\"} 2.0\n")
                .contains("geneve_gwlb_receive_threads{state=\"live\"} 1.0\n")
                .contains("geneve_gwlb_healthy 0.0\n");
        for (GwlbDropReason r : GwlbDropReason.values()) {
            assertThat(text).as("a series for every reason, zeros included")
                    .contains("geneve_gwlb_drops_total{reason=\"" + GwlbMetrics.key(r) + "\"}");
        }
    }

    @Test
    void endpointIdsAreCountedNeverLabelled() throws IOException {
        String few = exposition(sample(2));
        String many = exposition(sample(500));
        assertThat(many).contains("geneve_gwlb_endpoints 500.0\n").doesNotContain("2b8ee1d4db0c");
        // 500 stranger-made endpoint IDs add no series: the same lines, only a value differs
        assertThat(many.lines().count()).isEqualTo(few.lines().count());
    }
}
