package io.github.geneve4j.tools.metrics;

import static io.github.geneve4j.tools.metrics.EndpointMetrics.counter;
import static io.github.geneve4j.tools.metrics.EndpointMetrics.gauge;
import static io.github.geneve4j.tools.metrics.EndpointMetrics.point;

import io.github.geneve4j.gwlb.GwlbDropReason;
import io.github.geneve4j.gwlb.GwlbStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A GWLB appliance's statistics as Prometheus metrics, read from one {@link GwlbStats} snapshot at
 * scrape time (the appliance counts them anyway; a scrape adds no work to its receive threads).
 *
 * <p>Labels take only values we define: {@code direction}, {@code reason} (every
 * {@link GwlbDropReason}, zeros included), {@code protocol}, {@code state}. GWLB endpoint IDs and
 * flows are chosen by whoever sends, so they appear only as counts ({@code geneve_gwlb_endpoints},
 * {@code geneve_gwlb_flows}), never as labels: a sender cannot grow the number of series.
 */
public final class GwlbMetrics implements MultiCollector {

    private final Supplier<GwlbStats> stats;

    /** Metrics of the snapshots {@code stats} returns (typically {@code appliance::stats}). */
    public GwlbMetrics(Supplier<GwlbStats> stats) {
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    @Override
    public MetricSnapshots collect() {
        GwlbStats s = stats.get();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(counter("geneve_gwlb_datagrams", "GWLB datagrams received, and sent back to GWLB (forwarded)",
                point(s.received(), "direction", "received"), point(s.forwarded(), "direction", "forwarded")));
        out.add(counter("geneve_gwlb_bytes", "UDP payload bytes of geneve_gwlb_datagrams",
                point(s.receivedBytes(), "direction", "received"), point(s.forwardedBytes(), "direction", "forwarded")));
        out.add(counter("geneve_gwlb_receive_batches", "Receive calls (batches) that returned datagrams",
                point(s.receiveCalls(), null, null)));
        List<CounterDataPointSnapshot> drops = new ArrayList<>();
        for (GwlbDropReason reason : GwlbDropReason.values()) {
            drops.add(point(s.dropped(reason), "reason", key(reason)));
        }
        out.add(counter("geneve_gwlb_drops", "Datagrams not sent back, by reason", drops));
        out.add(gauge("geneve_gwlb_flows", "Flows seen within their idle timeout, by inner protocol",
                List.of(new long[] {0, s.activeTcpFlows()}, new long[] {1, s.activeOtherFlows()}),
                v -> Labels.of("protocol", v[0] == 0 ? "tcp" : "other"), v -> v[1]));
        out.add(counter("geneve_gwlb_flows_created", "Flows started", point(s.flowsCreated(), null, null)));
        out.add(counter("geneve_gwlb_flows_expired", "Flows that went idle past their timeout",
                point(s.flowsExpired(), null, null)));
        out.add(counter("geneve_gwlb_flow_table_full", "Packets whose flow found no room in the flow table",
                point(s.flowTableFull(), null, null)));
        out.add(gauge("geneve_gwlb_flow_capacity", "Slots of the flow table", List.of(s), x -> Labels.EMPTY,
                GwlbStats::flowCapacity));
        out.add(gauge("geneve_gwlb_endpoints", "GWLB endpoint IDs with live flows (a count: IDs are never labels)",
                List.of(s), x -> Labels.EMPTY, x -> x.endpoints().size()));
        out.add(counter("geneve_gwlb_kernel_packets", "Kernel-inspection mode: packets written to an ingress device"
                + " (to_kernel) and read from an egress device and returned (from_kernel)",
                point(s.toKernel(), "direction", "to_kernel"), point(s.fromKernel(), "direction", "from_kernel")));
        out.add(gauge("geneve_gwlb_kernel_endpoints", "Kernel-inspection mode: endpoint IDs with a device pair",
                List.of(s), x -> Labels.EMPTY, GwlbStats::kernelEndpoints));
        out.add(counter("geneve_gwlb_kernel_endpoint_failures", "Kernel-inspection mode: endpoints whose devices or hook"
                + " failed (each retried with back-off)", point(s.kernelEndpointFailures(), null, null)));
        out.add(counter("geneve_gwlb_kernel_endpoints_reclaimed", "Kernel-inspection mode: idle endpoints reclaimed",
                point(s.kernelEndpointsReclaimed(), null, null)));
        out.add(gauge("geneve_gwlb_receive_threads", "Receive threads started, and still running",
                List.of(new int[] {0, s.receiveThreads()}, new int[] {1, s.liveThreads()}),
                v -> Labels.of("state", v[0] == 0 ? "started" : "live"), v -> v[1]));
        out.add(gauge("geneve_gwlb_healthy", "1 when the appliance answers its health check as healthy, else 0",
                List.of(s), x -> Labels.EMPTY, x -> x.healthy() ? 1 : 0));
        return new MetricSnapshots(out);
    }

    /** {@code not-gwlb}, {@code bad-geneve}: a reason as the label and the stats lines write it. */
    static String key(GwlbDropReason reason) {
        return reason.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
