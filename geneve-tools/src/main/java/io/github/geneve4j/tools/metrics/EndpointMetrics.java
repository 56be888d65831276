package io.github.geneve4j.tools.metrics;

import io.github.geneve4j.endpoint.DropReason;
import io.github.geneve4j.endpoint.EndpointStats;
import io.github.geneve4j.endpoint.MacTableStats;
import io.github.geneve4j.endpoint.PeerStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * An endpoint's statistics as Prometheus metrics, read from one {@link EndpointStats} snapshot at
 * scrape time: the data path does no work for them (its counters are there anyway).
 *
 * <p>Labels take only values the operator configured or we define: {@code direction}, {@code reason}
 * (every {@link DropReason}, zeros included, so a series exists before its first drop), {@code peer}
 * (a configured peer's address), {@code vni} (a configured VNI). Nothing a sender chooses (its MAC
 * addresses, options, flows) becomes a label, so no sender can grow the number of series. The
 * metric names are listed in the README's "Metrics" section.
 */
public final class EndpointMetrics implements MultiCollector {

    private final Supplier<EndpointStats> stats;

    /** Metrics of the snapshots {@code stats} returns (typically {@code endpoint::stats}). */
    public EndpointMetrics(Supplier<EndpointStats> stats) {
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    @Override
    public MetricSnapshots collect() {
        EndpointStats s = stats.get();
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(counter("geneve_frames", "Inner frames: encapsulated and sent (to_tunnel), decapsulated and delivered"
                + " (from_tunnel); each segment of a super-frame counts",
                point(s.framesToTunnel(), "direction", "to_tunnel"), point(s.framesFromTunnel(), "direction", "from_tunnel")));
        out.add(counter("geneve_bytes", "Inner bytes, without the Geneve header, as geneve_frames",
                point(s.bytesToTunnel(), "direction", "to_tunnel"), point(s.bytesFromTunnel(), "direction", "from_tunnel")));
        List<CounterDataPointSnapshot> drops = new ArrayList<>();
        for (DropReason reason : DropReason.values()) {
            drops.add(point(s.drops(reason), "reason", EndpointStats.key(reason)));
        }
        out.add(counter("geneve_drops", "Frames and datagrams dropped, by reason", drops));
        out.add(counter("geneve_floods", "Frames flooded to every peer (broadcast, multicast, unknown unicast), once per frame",
                point(s.floods(), null, null)));
        out.add(counter("geneve_gso_super_frames", "TCP super-frames from the device, segmented", point(s.superFrames(), null, null)));
        out.add(counter("geneve_gso_segments", "Segments the super-frames were cut into", point(s.segments(), null, null)));
        out.add(counter("geneve_gro_writes", "Coalesced frames written to the device", point(s.coalescedWrites(), null, null)));
        out.add(counter("geneve_gro_datagrams", "Datagrams merged into coalesced frames", point(s.coalescedDatagrams(), null, null)));
        out.add(counter("geneve_udp_sends", "System calls that sent datagrams", point(s.sends(), null, null)));
        out.add(counter("geneve_udp_receives", "System calls that received datagrams", point(s.receives(), null, null)));

        List<PeerStats> peers = s.peers();
        out.add(counter("geneve_peer_frames", "Inner frames sent to and received from each peer",
                points(peers, p -> peerLabels(p, "sent"), PeerStats::framesSent,
                        p -> peerLabels(p, "received"), PeerStats::framesReceived)));
        out.add(counter("geneve_peer_bytes", "Inner bytes sent to and received from each peer",
                points(peers, p -> peerLabels(p, "sent"), PeerStats::bytesSent,
                        p -> peerLabels(p, "received"), PeerStats::bytesReceived)));
        out.add(counter("geneve_peer_floods", "Flooded copies among the frames sent to each peer",
                points(peers, p -> Labels.of("peer", address(p.address())), PeerStats::floods, null, null)));
        out.add(gauge("geneve_peer_macs", "MAC addresses known behind each peer now, over every VNI",
                peers, p -> Labels.of("peer", address(p.address())), PeerStats::macs));
        List<PeerStats> bfd = peers.stream().filter(p -> p.bfd() != null).toList();
        if (!bfd.isEmpty()) {
            out.add(gauge("geneve_bfd_session_state", "BFD session state as RFC 5880 codes it: 0 AdminDown, 1 Down,"
                    + " 2 Init, 3 Up", bfd, p -> Labels.of("peer", address(p.address())), p -> p.bfd().state().code()));
            out.add(counter("geneve_bfd_up_transitions", "Times each peer's BFD session came Up",
                    points(bfd, p -> Labels.of("peer", address(p.address())), p -> p.bfd().upTransitions(), null, null)));
        }

        List<MacTableStats> tables = s.macTables();
        Function<MacTableStats, Labels> vni = t -> Labels.of("vni", Integer.toString(t.vni()));
        out.add(gauge("geneve_mac_entries", "Live MAC table entries of each VNI (learned and static)", tables, vni,
                MacTableStats::entries));
        out.add(gauge("geneve_mac_max_entries", "The MAC table bound of each VNI", tables, vni, MacTableStats::maxEntries));
        out.add(counter("geneve_mac_learned", "MACs learned, per VNI", points(tables, vni, MacTableStats::learned, null, null)));
        out.add(counter("geneve_mac_moves", "Known MACs seen behind another peer, per VNI",
                points(tables, vni, MacTableStats::moves, null, null)));
        out.add(counter("geneve_mac_evictions", "Live entries evicted to make room, per VNI",
                points(tables, vni, MacTableStats::evictions, null, null)));
        out.add(counter("geneve_mac_aged", "Entries that aged out, per VNI", points(tables, vni, MacTableStats::aged, null, null)));
        out.add(counter("geneve_mac_refusals", "MACs not learned (a set full of static entries, a static MAC moved), per VNI",
                points(tables, vni, MacTableStats::refusals, null, null)));
        out.add(counter("geneve_mac_share_refusals", "MACs not learned because their peer held its share of the table"
                + " (--mac-max-per-peer), per VNI", points(tables, vni, MacTableStats::shareRefusals, null, null)));
        return new MetricSnapshots(out);
    }

    static CounterSnapshot counter(String name, String help, CounterDataPointSnapshot... points) {
        return counter(name, help, List.of(points));
    }

    static CounterSnapshot counter(String name, String help, List<CounterDataPointSnapshot> points) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        points.forEach(b::dataPoint);
        return b.build();
    }

    static CounterDataPointSnapshot point(long value, String label, String labelValue) {
        return CounterDataPointSnapshot.builder().value(value)
                .labels(label == null ? Labels.EMPTY : Labels.of(label, labelValue)).build();
    }

    private static <T> List<CounterDataPointSnapshot> points(List<T> items, Function<T, Labels> labels,
            ToLongFunction<T> value, Function<T, Labels> labels2, ToLongFunction<T> value2) {
        List<CounterDataPointSnapshot> points = new ArrayList<>();
        for (T item : items) {
            points.add(CounterDataPointSnapshot.builder().value(value.applyAsLong(item)).labels(labels.apply(item)).build());
            if (labels2 != null) {
                points.add(CounterDataPointSnapshot.builder().value(value2.applyAsLong(item)).labels(labels2.apply(item)).build());
            }
        }
        return points;
    }

    static <T> GaugeSnapshot gauge(String name, String help, List<T> items, Function<T, Labels> labels,
            ToDoubleFunction<T> value) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (T item : items) {
            b.dataPoint(GaugeDataPointSnapshot.builder().value(value.applyAsDouble(item)).labels(labels.apply(item)).build());
        }
        return b.build();
    }

    private static Labels peerLabels(PeerStats p, String direction) {
        return Labels.of("direction", direction, "peer", address(p.address()));
    }

    /** {@code 172.31.1.2:6081}, {@code [fd00::2]:6081}: as the stats lines print a peer. */
    static String address(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
