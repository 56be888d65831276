package io.github.geneve4j.endpoint;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A snapshot of an endpoint's counters ({@link GeneveEndpoint#stats()}). Each counter is read once;
 * counters written by different threads are not read at one instant, so sums across them can be off
 * by what was in flight.
 *
 * @param framesToTunnel inner frames encapsulated and sent (each segment of a super-frame counts once per peer)
 * @param bytesToTunnel their bytes, without the Geneve header
 * @param framesFromTunnel inner frames decapsulated and delivered to the inner side
 * @param bytesFromTunnel their bytes
 * @param superFrames super-frames (TCP GSO) from the device, segmented
 * @param segments the segments they were cut into
 * @param coalescedWrites coalesced frames written to the device (two or more datagrams each)
 * @param coalescedDatagrams the datagrams merged into them
 * @param sends system calls that sent datagrams (one may carry several, with UDP segmentation)
 * @param receives system calls that received datagrams (one may return several, with UDP GRO)
 * @param floods frames flooded to every peer (broadcast, multicast, a destination MAC not known), once per
 *     frame; each peer's copies are in {@link PeerStats#floods()}
 * @param drops drops by reason; reasons never seen are absent
 * @param peers per peer now, in the order they were added
 * @param macTables per VNI served, its MAC table
 * @param handler whether the endpoint's inner side is a {@link FrameHandler} (else a device, such as a
 *     TAP): {@link #format()} names the inner side by it
 */
public record EndpointStats(long framesToTunnel, long bytesToTunnel, long framesFromTunnel, long bytesFromTunnel,
        long superFrames, long segments, long coalescedWrites, long coalescedDatagrams, long sends, long receives,
        long floods, Map<DropReason, Long> drops, List<PeerStats> peers, List<MacTableStats> macTables,
        boolean handler) {

    /** Validates and copies: the maps and lists are unmodifiable, no count is negative. */
    public EndpointStats {
        Objects.requireNonNull(drops, "drops");
        Objects.requireNonNull(peers, "peers");
        EnumMap<DropReason, Long> copy = new EnumMap<>(DropReason.class);
        drops.forEach((reason, count) -> {
            if (count == null || count < 0) {
                throw new IllegalArgumentException("drop count " + count + " for " + reason + " (expected: 0 or more)");
            }
            if (count > 0) {
                copy.put(reason, count);
            }
        });
        drops = Collections.unmodifiableMap(copy);
        peers = List.copyOf(peers);
        macTables = List.copyOf(macTables);
        for (long v : new long[] {framesToTunnel, bytesToTunnel, framesFromTunnel, bytesFromTunnel, superFrames,
            segments, coalescedWrites, coalescedDatagrams, sends, receives, floods}) {
            if (v < 0) {
                throw new IllegalArgumentException("negative count " + v + " (expected: 0 or more)");
            }
        }
    }

    /**
     * The statistics of an endpoint whose inner side is a device (as before {@code handler} was a
     * component).
     */
    public EndpointStats(long framesToTunnel, long bytesToTunnel, long framesFromTunnel, long bytesFromTunnel,
            long superFrames, long segments, long coalescedWrites, long coalescedDatagrams, long sends, long receives,
            long floods, Map<DropReason, Long> drops, List<PeerStats> peers, List<MacTableStats> macTables) {
        this(framesToTunnel, bytesToTunnel, framesFromTunnel, bytesFromTunnel, superFrames, segments, coalescedWrites,
                coalescedDatagrams, sends, receives, floods, drops, peers, macTables, false);
    }

    /** The drops counted under {@code reason}. */
    public long drops(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** All drops, whatever the reason. */
    public long totalDrops() {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * One line for people, as {@code geneve vtep --stats} prints it: {@code stats: tap->tunnel N
     * packets N bytes, tunnel->tap ..., drops {not-a-peer=3}} ({@code handler->tunnel} and
     * {@code tunnel->handler} for an endpoint with a {@link FrameHandler}); with BFD on, followed by
     * each peer's session: {@code , bfd [172.31.0.1:6081 up diag=none ups=1]} (a field added at the
     * end, so that what parsed the line before still does). Peers and MAC tables are on a line of
     * their own: {@link #formatMesh()}.
     */
    public String format() {
        String inner = handler ? "handler" : "tap";
        return String.format(Locale.ROOT, "stats: %s->tunnel %d packets %d bytes, tunnel->%s %d packets %d bytes,"
                + " gso %d super-frames into %d segments (%.1f each), gro %d writes of %d datagrams (%.1f each),"
                + " udp %d sends %d receives, drops {%s}",
                inner, framesToTunnel, bytesToTunnel, inner, framesFromTunnel, bytesFromTunnel,
                superFrames, segments, superFrames == 0 ? 0.0 : (double) segments / superFrames,
                coalescedWrites, coalescedDatagrams, coalescedWrites == 0 ? 0.0 : (double) coalescedDatagrams / coalescedWrites,
                sends, receives, drops.entrySet().stream()
                        .map(e -> key(e.getKey()) + "=" + e.getValue()).collect(Collectors.joining(", ")))
                + formatBfd();
    }

    /**
     * A second line for people, about peers and learning, as {@code geneve vtep --stats} prints it
     * after {@link #format()}: {@code mesh: floods N, peers [172.31.0.2:6081 tx=N rx=N flood=N macs=N;
     * ...], macs [vni 5000 entries=N/65536 learned=N moved=N held=N evicted=N aged=N refused=N
     * over-share=N; ...]}, where
     * {@code tx}/{@code rx} are frames to and from the peer, {@code flood} the flooded copies among
     * {@code tx}, {@code macs} the MACs known behind it.
     */
    public String formatMesh() {
        return "mesh: floods " + floods
                + peers.stream().map(p -> String.format(Locale.ROOT, "%s tx=%d rx=%d flood=%d macs=%d", address(p.address()),
                        p.framesSent(), p.framesReceived(), p.floods(), p.macs()))
                        .collect(Collectors.joining("; ", ", peers [", "]"))
                + macTables.stream().map(t -> String.format(Locale.ROOT,
                        "vni %d entries=%d/%d learned=%d moved=%d held=%d evicted=%d aged=%d refused=%d over-share=%d",
                        t.vni(), t.entries(), t.maxEntries(), t.learned(), t.moves(), t.heldMoves(), t.evictions(),
                        t.aged(), t.refusals(), t.shareRefusals()))
                        .collect(Collectors.joining("; ", ", macs [", "]"))
                ;
    }

    private String formatBfd() {
        if (peers.stream().noneMatch(p -> p.bfd() != null)) {
            return "";
        }
        return peers.stream().filter(p -> p.bfd() != null)
                .map(p -> address(p.address()) + " " + key(p.bfd().state()) + " diag=" + key(p.bfd().diagnostic())
                        + " ups=" + p.bfd().upTransitions())
                .collect(Collectors.joining(", ", ", bfd [", "]"));
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** An enum constant as printed: lower case with dashes ({@code admin-down}, {@code control-detection-time-expired}). */
    static String key(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A reason as printed: lower case with dashes, {@code not-a-peer}. */
    public static String key(DropReason reason) {
        return reason.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
