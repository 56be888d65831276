package io.github.geneve4j.endpoint;

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
 * @param drops drops by reason; reasons never seen are absent
 * @param peers per configured peer, in the order they were configured
 */
public record EndpointStats(long framesToTunnel, long bytesToTunnel, long framesFromTunnel, long bytesFromTunnel,
        long superFrames, long segments, long coalescedWrites, long coalescedDatagrams, long sends, long receives,
        Map<DropReason, Long> drops, List<PeerStats> peers) {

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
        drops = java.util.Collections.unmodifiableMap(copy);
        peers = List.copyOf(peers);
        for (long v : new long[] {framesToTunnel, bytesToTunnel, framesFromTunnel, bytesFromTunnel, superFrames,
            segments, coalescedWrites, coalescedDatagrams, sends, receives}) {
            if (v < 0) {
                throw new IllegalArgumentException("negative count " + v + " (expected: 0 or more)");
            }
        }
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
     * packets N bytes, tunnel->tap ..., drops {not-a-peer=3}}; with BFD on, followed by each peer's
     * session: {@code , bfd [172.31.0.1:6081 up diag=none ups=1]} (a field added at the end, so that
     * what parsed the line before still does).
     */
    public String format() {
        return String.format(Locale.ROOT, "stats: tap->tunnel %d packets %d bytes, tunnel->tap %d packets %d bytes,"
                + " gso %d super-frames into %d segments (%.1f each), gro %d writes of %d datagrams (%.1f each),"
                + " udp %d sends %d receives, drops {%s}",
                framesToTunnel, bytesToTunnel, framesFromTunnel, bytesFromTunnel,
                superFrames, segments, superFrames == 0 ? 0.0 : (double) segments / superFrames,
                coalescedWrites, coalescedDatagrams, coalescedWrites == 0 ? 0.0 : (double) coalescedDatagrams / coalescedWrites,
                sends, receives, drops.entrySet().stream()
                        .map(e -> key(e.getKey()) + "=" + e.getValue()).collect(Collectors.joining(", ")))
                + formatBfd();
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

    private static String address(java.net.InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (a.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
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
