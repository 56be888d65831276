package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Counts Geneve traffic per VNI — packets, bytes, the inner protocols (Protocol Type) and the option
 * (class, type) pairs seen — as {@code geneve dump --summary} prints it. Feed it every well-formed
 * packet with {@link #add(GeneveView, long)} and every malformed one with {@link #addMalformed()}.
 *
 * <pre>{@code
 * TrafficSummary summary = new TrafficSummary();
 * for (...) { if (view.tryWrap(segment, 0)) summary.add(view, segment.byteSize()); else summary.addMalformed(); }
 * summary.vnis().forEach((vni, s) -> System.out.println(vni + ": " + s.packets() + " packets"));
 * }</pre>
 *
 * <p>The input is untrusted, so every table is bounded: at most {@code maxVnis} VNIs are tracked
 * (packets of further VNIs are counted in {@link #untrackedPackets()}), and per VNI at most
 * {@link #MAX_KINDS} protocol types and {@link #MAX_KINDS} option kinds (the rest in each VNI's
 * {@code untrackedProtocols} and {@code untrackedOptions}). Not thread-safe.
 */
public final class TrafficSummary {

    /** The VNIs tracked unless the constructor says otherwise. */
    public static final int DEFAULT_MAX_VNIS = 65_536;
    /** Distinct protocol types, and distinct option kinds, tracked per VNI. */
    public static final int MAX_KINDS = 256;

    private final int maxVnis;
    private final Map<Integer, Counts> byVni = new HashMap<>();
    private long packets;
    private long bytes;
    private long malformed;
    private long untracked;

    /** A summary tracking up to {@link #DEFAULT_MAX_VNIS} VNIs. */
    public TrafficSummary() {
        this(DEFAULT_MAX_VNIS);
    }

    /**
     * A summary tracking up to {@code maxVnis} VNIs.
     *
     * @throws IllegalArgumentException if {@code maxVnis} is not positive
     */
    public TrafficSummary(int maxVnis) {
        if (maxVnis < 1) {
            throw new IllegalArgumentException("maxVnis " + maxVnis + " (expected: at least 1)");
        }
        this.maxVnis = maxVnis;
    }

    /** An option's class and type (critical bit included), ordered by class then type. */
    public record OptionKind(int optionClass, int type) implements Comparable<OptionKind> {
        @Override
        public int compareTo(OptionKind o) {
            return Integer.compare(optionClass << 8 | type, o.optionClass << 8 | o.type);
        }
    }

    /**
     * What one VNI carried.
     *
     * @param vni the VNI
     * @param packets its packets
     * @param bytes their bytes, as given to {@link #add(GeneveView, long)}
     * @param protocolTypes packets by Protocol Type, in ascending order
     * @param options options seen by (class, type), each counted once per option, in ascending order
     * @param untrackedProtocols packets whose protocol type was beyond {@link #MAX_KINDS}
     * @param untrackedOptions options whose kind was beyond {@link #MAX_KINDS}
     */
    public record Vni(int vni, long packets, long bytes, SortedMap<Integer, Long> protocolTypes,
            SortedMap<OptionKind, Long> options, long untrackedProtocols, long untrackedOptions) {
        /** Copies the maps, unmodifiable. */
        public Vni {
            protocolTypes = Collections.unmodifiableSortedMap(new TreeMap<>(protocolTypes));
            options = Collections.unmodifiableSortedMap(new TreeMap<>(options));
        }
    }

    private static final class Counts {
        long packets;
        long bytes;
        final Map<Integer, Long> protocols = new HashMap<>();
        final Map<OptionKind, Long> options = new HashMap<>();
        long untrackedProtocols;
        long untrackedOptions;
    }

    /**
     * Counts the packet {@code view} wraps, of {@code bytes} bytes (what "bytes" means is the
     * caller's: {@code geneve dump} counts the UDP payload, the Geneve header and what it carries).
     */
    public void add(GeneveView view, long bytes) {
        packets++;
        this.bytes += bytes;
        Counts c = byVni.get(view.vni());
        if (c == null) {
            if (byVni.size() >= maxVnis) {
                untracked++;
                return;
            }
            c = new Counts();
            byVni.put(view.vni(), c);
        }
        c.packets++;
        c.bytes += bytes;
        if (c.protocols.containsKey(view.protocolType()) || c.protocols.size() < MAX_KINDS) {
            c.protocols.merge(view.protocolType(), 1L, Long::sum);
        } else {
            c.untrackedProtocols++;
        }
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            OptionKind kind = new OptionKind(o.optionClass(), o.type());
            if (c.options.containsKey(kind) || c.options.size() < MAX_KINDS) {
                c.options.merge(kind, 1L, Long::sum);
            } else {
                c.untrackedOptions++;
            }
        }
    }

    /** Counts a packet to a Geneve port whose header did not decode. */
    public void addMalformed() {
        malformed++;
    }

    /** Every tracked VNI, in ascending order (a snapshot). */
    public SortedMap<Integer, Vni> vnis() {
        SortedMap<Integer, Vni> out = new TreeMap<>();
        byVni.forEach((vni, c) -> out.put(vni, new Vni(vni, c.packets, c.bytes, new TreeMap<>(c.protocols),
                new TreeMap<>(c.options), c.untrackedProtocols, c.untrackedOptions)));
        return Collections.unmodifiableSortedMap(out);
    }

    /** Well-formed packets counted, tracked VNI or not. */
    public long packets() {
        return packets;
    }

    /** Their bytes. */
    public long bytes() {
        return bytes;
    }

    /** Packets whose Geneve header did not decode. */
    public long malformed() {
        return malformed;
    }

    /** Well-formed packets of VNIs beyond the tracked number. */
    public long untrackedPackets() {
        return untracked;
    }
}
