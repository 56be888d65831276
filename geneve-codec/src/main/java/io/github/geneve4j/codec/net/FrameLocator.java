package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

/**
 * Finds the IP packet and its upper-layer (TCP, UDP, ...) header in a frame: the one walk that
 * decapsulation, the segmenter, the coalescer and the tools share.
 *
 * <pre>{@code
 * FrameLocator at = new FrameLocator();
 * if (at.tryWrap(FrameLocator.Link.ETHERNET, frame, 0, frameLength)
 *         && at.protocol() == EtherType.PROTOCOL_UDP) {
 *     udp.wrap(frame, at.transportOffset(), at.transportLength());
 * } else {
 *     drops.increment(at.errorReason());   // no exception, no allocation
 * }
 * }</pre>
 *
 * <p>The walk: the link header ({@link Link}: Ethernet with any number of 802.1Q / 802.1ad tags,
 * raw IP, Linux cooked capture v1 and v2), then IPv4 (options skipped, header checked by
 * {@link Ipv4View}) or IPv6 (extension headers walked by {@link Ipv6View}), to the upper-layer
 * header. Every layer is bounded by the one that holds it: the IP packet by the link payload, the
 * upper layer by the IP packet's own length, never by the frame's end, so Ethernet padding and
 * capture trailers are never read as data ({@link #trailerLength()} counts them).
 *
 * <p>One rule for fragments: an IPv4 packet with More Fragments or a fragment offset, and an IPv6
 * packet with a Fragment header (first fragment or not), is refused with
 * {@link Reason#FRAGMENT}: its upper-layer header and length are not a whole packet's. A link
 * header that carries neither IPv4 nor IPv6 is {@link Reason#UNSUPPORTED_PROTOCOL}; damage is
 * {@code TRUNCATED}, {@code BAD_LENGTH} or {@code BAD_VALUE}. Every error offset counts from the
 * first byte of the frame (the {@code offset} given to {@code tryWrap}), whichever layer found it.
 * The locator does not look inside the upper-layer header: the caller wraps it
 * ({@link TcpView}, {@link UdpView}) with {@link #transportLength()}.
 *
 * <p>Reusable and allocation-free; not thread-safe.
 */
public final class FrameLocator {

    /**
     * What a frame starts with; each is one of the link types of tcpdump.org's {@code LINKTYPE_}
     * registry, which pcap and pcapng files name:
     *
     * <pre>{@code
     * FrameLocator.Link link = FrameLocator.Link.ofLinkType(packet.linkType()).orElseThrow();
     * }</pre>
     */
    public enum Link {
        /** Ethernet II, with any number of 802.1Q (0x8100) or 802.1ad (0x88A8, 0x9100) tags. */
        ETHERNET(1),
        /** Raw IP (pcap LINKTYPE_RAW, a Geneve protocol type of IPv4 or IPv6): the version nibble says which. */
        IP(101),
        /** Linux cooked capture v1 (LINKTYPE_LINUX_SLL): a 16-byte header, the protocol in its last two bytes. */
        LINUX_SLL(113),
        /** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): a 20-byte header, the protocol in its first two bytes. */
        LINUX_SLL2(276);

        // LINKTYPE_IPV4 and LINKTYPE_IPV6: raw IP of one version, which the version nibble confirms
        private static final int LINKTYPE_IPV4 = 228;
        private static final int LINKTYPE_IPV6 = 229;
        private static final Link[] VALUES = values();

        private final int linkType;

        Link(int linkType) {
            this.linkType = linkType;
        }

        /**
         * The link of a pcap link type: 1 (Ethernet), 101 (raw IP), 228 and 229 (raw IPv4, raw IPv6),
         * 113 and 276 (Linux cooked capture v1 and v2).
         *
         * @param linkType a {@code LINKTYPE_} number, as a capture's header or interface block holds it
         * @return the link, or empty for a link type the locator does not walk
         */
        public static Optional<Link> ofLinkType(int linkType) {
            return switch (linkType) {
                case LINKTYPE_IPV4, LINKTYPE_IPV6 -> Optional.of(IP);
                default -> {
                    for (Link link : VALUES) {
                        if (link.linkType == linkType) {
                            yield Optional.of(link);
                        }
                    }
                    yield Optional.empty();
                }
            };
        }

        /**
         * The pcap link type to write frames of this link under.
         *
         * @return its {@code LINKTYPE_} number (101, {@code LINKTYPE_RAW}, for {@link #IP})
         */
        public int linkType() {
            return linkType;
        }
    }

    private static final int TAG_LENGTH = 4;
    private static final int LEGACY_SERVICE_VLAN = 0x9100;
    private static final int SLL_HEADER_LENGTH = 16;
    private static final int SLL_PROTOCOL = 14;
    private static final int SLL2_HEADER_LENGTH = 20;
    private static final int SLL2_PROTOCOL = 0;
    // which view a failure came from, for its message
    private static final int IPV4_VIEW = 1;
    private static final int IPV6_VIEW = 2;

    private final Ipv4View ipv4 = new Ipv4View();
    private final Ipv6View ipv6 = new Ipv6View();
    private final WrapError error = new WrapError();
    private MemorySegment segment;
    private long offset;
    private long length;
    private int linkHeaderLength;
    private int tags;
    private int firstTci;
    private int etherType;
    private IpVersion ipVersion;
    private long ipLength;
    private int protocol;
    private long transportOffset;
    private boolean valid;
    private int failedView;
    private long failedBase;

    /** An unwrapped locator. */
    public FrameLocator() {
    }

    /**
     * Locates the layers of the frame of {@code length} bytes at {@code offset}.
     *
     * @return this locator
     * @throws GeneveFormatException what {@link #tryWrap} reports, with its reason and frame-relative offset
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public FrameLocator wrap(Link link, MemorySegment segment, long offset, long length) {
        if (!tryWrap(link, segment, offset, length)) {
            throw exception();
        }
        return this;
    }

    /**
     * Like {@link #wrap}, but returns false on bad or unsupported input (see {@link #errorReason()},
     * {@link #errorOffset()}) instead of throwing; allocates nothing either way.
     *
     * @throws IllegalArgumentException if the region lies outside the segment (the caller's mistake)
     */
    public boolean tryWrap(Link link, MemorySegment segment, long offset, long length) {
        Wire.checkTarget(segment.byteSize(), offset, length, "frame");
        valid = false;
        tags = 0;
        firstTci = -1;
        long network;
        int type;
        switch (link) {
            case ETHERNET -> {
                if (length < EthernetView.HEADER_LENGTH) {
                    return error.fail(Reason.TRUNCATED, 0, "Ethernet frame of %d bytes (expected: 14+ bytes)", length, 0);
                }
                long at = EthernetView.ETHER_TYPE_OFFSET;
                type = Wire.u16(segment, offset + at);
                while (type == EtherType.VLAN || type == EtherType.SERVICE_VLAN || type == LEGACY_SERVICE_VLAN) {
                    if (at + TAG_LENGTH + 2 > length) {
                        return error.fail(Reason.TRUNCATED, at, "802.1Q tag at %d in an Ethernet frame of %d bytes",
                                at, length);
                    }
                    if (tags++ == 0) {
                        firstTci = Wire.u16(segment, offset + at + 2);
                    }
                    at += TAG_LENGTH;
                    type = Wire.u16(segment, offset + at);
                }
                network = at + 2;
            }
            case IP -> {
                if (length < 1) {
                    return error.fail(Reason.TRUNCATED, 0, "IP packet of %d bytes", length, 0);
                }
                int version = Wire.u8(segment, offset) >>> 4;
                type = version == 4 ? EtherType.IPV4 : version == 6 ? EtherType.IPV6 : -1;
                if (type < 0) {
                    return error.fail(Reason.BAD_VALUE, 0, "IP version %d (expected: 4 or 6)", version, 0);
                }
                network = 0;
            }
            case LINUX_SLL -> {
                if (length < SLL_HEADER_LENGTH) {
                    return error.fail(Reason.TRUNCATED, 0, "Linux cooked header of %d bytes (expected: 16+ bytes)",
                            length, 0);
                }
                type = Wire.u16(segment, offset + SLL_PROTOCOL);
                network = SLL_HEADER_LENGTH;
            }
            case LINUX_SLL2 -> {
                if (length < SLL2_HEADER_LENGTH) {
                    return error.fail(Reason.TRUNCATED, 0, "Linux cooked v2 header of %d bytes (expected: 20+ bytes)",
                            length, 0);
                }
                type = Wire.u16(segment, offset + SLL2_PROTOCOL);
                network = SLL2_HEADER_LENGTH;
            }
            default -> throw new AssertionError(link);
        }
        this.linkHeaderLength = (int) network;
        this.etherType = type;
        long ipAt = offset + network;
        long ipAvailable = length - network;
        if (type == EtherType.IPV4) {
            if (!ipv4.tryWrap(segment, ipAt, ipAvailable)) {
                return failFrom(ipv4.errorReason(), network, IPV4_VIEW);
            }
            if (ipv4.moreFragments() || ipv4.fragmentOffset() != 0) {
                return error.fail(Reason.FRAGMENT, network + Ipv4View.FLAGS_OFFSET,
                        "IPv4 fragment (offset %d, more fragments %d)", ipv4.fragmentOffset(),
                        ipv4.moreFragments() ? 1 : 0);
            }
            ipVersion = IpVersion.IPV4;
            ipLength = ipv4.packetLength();
            protocol = ipv4.protocol();
            transportOffset = ipv4.payloadOffset();
        } else if (type == EtherType.IPV6) {
            if (!ipv6.tryWrap(segment, ipAt, ipAvailable)) {
                return failFrom(ipv6.errorReason(), network, IPV6_VIEW);
            }
            if (ipv6.fragmented()) {
                return error.fail(Reason.FRAGMENT, ipv6.upperLayerOffset() - offset,
                        "IPv6 Fragment header at %d (offset %d, more fragments %d)", ipv6.upperLayerOffset() - offset,
                        ipv6.fragmentOffset(), ipv6.moreFragments() ? 1 : 0);
            }
            ipVersion = IpVersion.IPV6;
            ipLength = ipv6.packetLength();
            protocol = ipv6.upperLayerProtocol();
            transportOffset = ipv6.upperLayerOffset();
        } else {
            return error.fail(Reason.UNSUPPORTED_PROTOCOL, network - 2, "EtherType 0x%04x (expected: IPv4 or IPv6)",
                    type, 0);
        }
        this.segment = segment;
        this.offset = offset;
        this.length = length;
        this.valid = true;
        return true;
    }

    // a view's failure, moved to the frame's origin; the view's own message is kept, made when asked for
    private boolean failFrom(Reason reason, long base, int view) {
        failedView = view;
        failedBase = base;
        return error.fail(reason, base + (view == IPV4_VIEW ? ipv4.errorOffset() : ipv6.errorOffset()), null, 0, 0);
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
        if (error.hasTemplate()) {
            return error.message();
        }
        String layer = failedView == IPV4_VIEW ? ipv4.errorMessage() : ipv6.errorMessage();
        return layer + " (IP header at frame offset " + failedBase + ")";
    }

    /** The last failure as the exception {@link #wrap} throws (allocates; for callers that throw). */
    public GeneveFormatException exception() {
        return new GeneveFormatException(error.reason(), error.offset(), errorMessage());
    }

    private void checkValid() {
        if (!valid) {
            throw new IllegalStateException("locator is not wrapped around a located frame");
        }
    }

    /** Offset of the frame in the segment. */
    public long offset() {
        return offset;
    }

    /** The frame's length as given to {@code tryWrap}. */
    public long length() {
        return length;
    }

    /** Bytes before the IP header: the link header with its tags (0 for raw IP). */
    public int linkHeaderLength() {
        return linkHeaderLength;
    }

    /** Number of 802.1Q / 802.1ad tags walked (0 for other links). */
    public int vlanTags() {
        return tags;
    }

    /** The first (outermost) tag's TCI, or -1 when there is none. */
    public int outerVlanTci() {
        return firstTci;
    }

    /** The network EtherType: 0x0800 or 0x86DD. */
    public int etherType() {
        return etherType;
    }

    /** The IP version. */
    public IpVersion ipVersion() {
        checkValid();
        return ipVersion;
    }

    /** The IPv4 view, wrapped when {@link #ipVersion()} is IPv4. */
    public Ipv4View ipv4() {
        return ipv4;
    }

    /** The IPv6 view, wrapped when {@link #ipVersion()} is IPv6. */
    public Ipv6View ipv6() {
        return ipv6;
    }

    /** Offset of the IP header in the segment. */
    public long ipOffset() {
        return offset + linkHeaderLength;
    }

    /** The IP packet's length from its own length field (or, for BIG TCP, the bytes the link carries). */
    public long ipLength() {
        return ipLength;
    }

    /** The upper-layer protocol: 6 for TCP, 17 for UDP (after IPv6 extension headers). */
    public int protocol() {
        checkValid();
        return protocol;
    }

    /** Offset of the upper-layer header in the segment. */
    public long transportOffset() {
        return transportOffset;
    }

    /** Bytes from the upper-layer header to the end of the IP packet (not of the frame). */
    public long transportLength() {
        return ipOffset() + ipLength - transportOffset;
    }

    /** Bytes after the IP packet up to the frame's end: Ethernet padding or a capture trailer. */
    public long trailerLength() {
        return length - linkHeaderLength - ipLength;
    }

    /** The pseudo-header sum for an upper-layer packet of {@code length} bytes of the given protocol. */
    public long pseudoHeaderSum(int protocol, long length) {
        return ipVersion == IpVersion.IPV4 ? ipv4.pseudoHeaderSum(protocol, length)
                : ipv6.pseudoHeaderSum(protocol, length);
    }
}
