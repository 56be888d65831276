package io.github.geneve4j.codec.tunnel;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.internal.WrapError;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Decapsulation: a reusable view over a whole Geneve frame (outer link header, IPv4 or IPv6, UDP,
 * Geneve) that hands out the outer headers' views and the inner frame's place.
 *
 * <pre>{@code
 * GeneveFrameView frame = new GeneveFrameView();
 * if (frame.tryWrap(packet, 0, packetLength)) {
 *     int vni = frame.geneve().vni();
 *     MemorySegment inner = frame.inner();          // a slice: no copy
 * } else if (frame.errorReason() != Reason.NOT_GENEVE) {
 *     drops.increment(frame.errorReason());          // damage, not other traffic
 * }
 * }</pre>
 *
 * <p>The outer layers are found by a {@link FrameLocator} (Ethernet with 802.1Q/802.1ad tags by
 * default; raw IP and Linux cooked captures with {@link #GeneveFrameView(FrameLocator.Link, int)}).
 * Each layer is bounded by the one that holds it: the UDP datagram by the IP packet's length, the
 * Geneve header, its options and the inner frame by the UDP payload, never by the frame's end, so
 * Ethernet padding is never read as an option or as inner bytes.
 *
 * <p>{@code wrap} and {@code tryWrap} validate every layer and allocate nothing; the UDP
 * destination port must be the configured one (6081 by default). A packet that is well formed but
 * not Geneve (not IP, not UDP, another port) is {@link Reason#NOT_GENEVE}; an IP fragment is
 * {@link Reason#FRAGMENT}; damage at any layer has that layer's reason. Every error offset counts
 * from the first byte of the frame, whichever layer found it.
 */
public final class GeneveFrameView {

    private final int port;
    private final FrameLocator.Link link;
    private final FrameLocator locator = new FrameLocator();
    private final EthernetView ethernet = new EthernetView();
    private final UdpView udp = new UdpView();
    private final GeneveView geneve = new GeneveView();
    private final WrapError error = new WrapError();
    private MemorySegment segment;
    private long offset;
    private long innerOffset;
    private long innerLength;
    private int failedLayer;
    private long failedBase;

    private static final int OWN = 0;
    private static final int LOCATOR = 1;
    private static final int UDP = 2;
    private static final int GENEVE = 3;

    /** A view of Ethernet frames accepting UDP destination port 6081. */
    public GeneveFrameView() {
        this(Geneve.UDP_PORT);
    }

    /** A view of Ethernet frames accepting the given UDP destination port. */
    public GeneveFrameView(int port) {
        this(FrameLocator.Link.ETHERNET, port);
    }

    /** A view of frames of the given link type accepting the given UDP destination port. */
    public GeneveFrameView(FrameLocator.Link link, int port) {
        this.link = Objects.requireNonNull(link, "link");
        this.port = port;
    }

    /**
     * Wraps and validates the frame of {@code length} bytes at {@code offset}.
     *
     * @throws GeneveFormatException as {@link #tryWrap} reports: {@code NOT_GENEVE} for a frame that
     *     is not IP/UDP to the Geneve port, {@code FRAGMENT} for an IP fragment, a layer's reason for
     *     a bad or truncated layer; the offset from the first byte of the frame
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public GeneveFrameView wrap(MemorySegment segment, long offset, long length) {
        if (!tryWrap(segment, offset, length)) {
            throw exception();
        }
        return this;
    }

    /**
     * Like {@link #wrap}, but returns false on bad or non-Geneve input (see {@link #errorReason()})
     * instead of throwing; allocates nothing either way.
     *
     * @throws IllegalArgumentException if the region lies outside the segment (the caller's mistake)
     */
    public boolean tryWrap(MemorySegment segment, long offset, long length) {
        if (!locator.tryWrap(link, segment, offset, length)) {
            if (locator.errorReason() == Reason.UNSUPPORTED_PROTOCOL) {
                return fail(Reason.NOT_GENEVE, locator.errorOffset(), "EtherType 0x%04x (expected: IPv4 or IPv6)",
                        locator.etherType());
            }
            failedLayer = LOCATOR;
            return error.fail(locator.errorReason(), locator.errorOffset(), null, 0, 0);
        }
        if (link == FrameLocator.Link.ETHERNET) {
            ethernet.tryWrap(segment, offset, length); // cannot fail: the locator read further
        }
        long udpOffset = locator.transportOffset();
        if (locator.protocol() != EtherType.PROTOCOL_UDP) {
            return fail(Reason.NOT_GENEVE, udpOffset - offset, "IP protocol %d (expected: 17, UDP)", locator.protocol());
        }
        if (!udp.tryWrap(segment, udpOffset, locator.transportLength())) {
            return failLayer(UDP, udp.errorReason(), udpOffset - offset, udp.errorOffset());
        }
        if (udp.destinationPort() != port) {
            return fail(Reason.NOT_GENEVE, udpOffset - offset + UdpView.DESTINATION_PORT_OFFSET,
                    "UDP destination port %d (expected: %d)", udp.destinationPort(), port);
        }
        long genevePosition = udp.payloadOffset();
        if (!geneve.tryWrap(segment, genevePosition, udp.payloadLength())) {
            return failLayer(GENEVE, geneve.errorReason(), genevePosition - offset, geneve.errorOffset());
        }
        this.segment = segment;
        this.offset = offset;
        this.innerOffset = geneve.payloadOffset();
        this.innerLength = genevePosition + udp.payloadLength() - innerOffset;
        return true;
    }

    private boolean fail(Reason reason, long at, String template, long value) {
        return fail(reason, at, template, value, 0);
    }

    private boolean fail(Reason reason, long at, String template, long value, long other) {
        failedLayer = OWN;
        return error.fail(reason, at, template, value, other);
    }

    private boolean failLayer(int layer, Reason reason, long base, long at) {
        failedLayer = layer;
        failedBase = base;
        return error.fail(reason, base + at, null, 0, 0);
    }

    /** Why the last {@code tryWrap} returned false (null before any failure). */
    public Reason errorReason() {
        return error.reason();
    }

    /** Where the last {@code tryWrap} failure was found, from the first byte of the frame. */
    public long errorOffset() {
        return error.offset();
    }

    /** The last {@code tryWrap} failure's message, made when asked for (allocates). */
    public String errorMessage() {
        if (error.reason() == null) {
            return null;
        }
        return switch (failedLayer) {
            case LOCATOR -> locator.errorMessage();
            case UDP -> udp.errorMessage() + " (UDP header at frame offset " + failedBase + ")";
            case GENEVE -> geneve.errorMessage() + " (Geneve header at frame offset " + failedBase + ")";
            default -> error.message();
        };
    }

    private GeneveFormatException exception() {
        return new GeneveFormatException(error.reason(), error.offset(), errorMessage());
    }

    /** The locator that found the outer layers (its views are the outer IP headers). */
    public FrameLocator locator() {
        return locator;
    }

    /**
     * The outer Ethernet header, for an Ethernet link (its {@code etherType} reads after at most one
     * tag: for stacked tags see {@link #locator()}).
     */
    public EthernetView ethernet() {
        return ethernet;
    }

    /** The outer IP version. */
    public IpVersion ipVersion() {
        return locator.ipVersion();
    }

    /** The outer IPv4 header; meaningful only when {@link #ipVersion()} is IPv4. */
    public Ipv4View ipv4() {
        return locator.ipv4();
    }

    /** The outer IPv6 header; meaningful only when {@link #ipVersion()} is IPv6. */
    public Ipv6View ipv6() {
        return locator.ipv6();
    }

    /** The outer UDP header. */
    public UdpView udp() {
        return udp;
    }

    /** The Geneve header, its options reachable through the view's cursor. */
    public GeneveView geneve() {
        return geneve;
    }

    /** Offset of the outer frame. */
    public long offset() {
        return offset;
    }

    /** Offset of the inner frame in the wrapped segment. */
    public long innerOffset() {
        return innerOffset;
    }

    /** Length of the inner frame: the rest of the UDP payload. */
    public long innerLength() {
        return innerLength;
    }

    /** The inner frame as a slice of the wrapped segment (no copy; one small allocation). */
    public MemorySegment inner() {
        return segment.asSlice(innerOffset, innerLength);
    }

    /** Whether the outer UDP checksum verifies (true when it is 0, meaning "not computed"). */
    public boolean udpChecksumValid() {
        return udp.checksumValid(locator.pseudoHeaderSum(EtherType.PROTOCOL_UDP, udp.datagramLength()));
    }
}
