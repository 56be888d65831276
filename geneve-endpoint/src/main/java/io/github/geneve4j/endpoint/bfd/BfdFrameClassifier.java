package io.github.geneve4j.endpoint.bfd;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Tells, without allocating or throwing, whether a decapsulated inner frame is a BFD control packet
 * (RFC 9521 §4: untagged Ethernet, IPv4, UDP to 3784, TTL exactly 255) and where its payload is.
 * Whether the Geneve O bit was set does not matter: RFC 9521 §4 says the sender sets it, Open vSwitch
 * clears it by default, and both must be taken.
 *
 * <pre>{@code
 * BfdFrameClassifier bfd = new BfdFrameClassifier();            // once per receive thread
 * BfdFrameVerdict verdict = bfd.classify(frame, innerOffset, innerLength);
 * if (verdict == BfdFrameVerdict.CONTROL_PACKET) {
 *     if (view.tryWrap(frame, bfd.payloadOffset(), bfd.payloadLength())) session.onPacket(view, now);
 * } else if (verdict.consumed()) {
 *     drops.increment(verdict);                                 // BFD's, but not acceptable
 * } else {
 *     deliver(frame);
 * }
 * }</pre>
 *
 * <p>Fields are read with constants named for them, straight from the segment: the codec's views
 * throw on short input, which a classifier of arbitrary frames must not. A classifier is not
 * thread-safe; its accessors describe the last frame classified {@link BfdFrameVerdict#CONTROL_PACKET}.
 */
public final class BfdFrameClassifier {

    private static final int ETHER_TYPE = 12;
    private static final int IP_TOTAL_LENGTH = 2;
    private static final int IP_FLAGS_FRAGMENT = 6;
    private static final int IP_TTL = 8;
    private static final int IP_PROTOCOL = 9;
    private static final int IP_SOURCE = 12;
    private static final int IP_DESTINATION = 16;
    private static final int UDP_SOURCE_PORT = 0;
    private static final int UDP_DESTINATION_PORT = 2;
    private static final int UDP_LENGTH = 4;
    private static final int UDP_CHECKSUM = 6;
    private static final int MORE_FRAGMENTS = 0x2000;
    private static final int FRAGMENT_OFFSET = 0x1FFF;

    private static final long ANY = -1;

    private final long expectedMac;
    private final long expectedDestination;
    private final long expectedSource;
    private long payloadOffset;
    private int payloadLength;
    private int sourcePort;
    private long sourceAddress;

    /** A classifier that takes any inner destination address (as OVS does by default). */
    public BfdFrameClassifier() {
        this(ANY, ANY, ANY);
    }

    /**
     * A classifier that takes only packets to {@code destinationAddress} (as OVS does when
     * {@code bfd_src_ip} is set): others are {@link BfdFrameVerdict#WRONG_DESTINATION}.
     *
     * @param destinationAddress an IPv4 address as an unsigned 32-bit value
     */
    public BfdFrameClassifier(long destinationAddress) {
        this(ANY, checkAddress("destination address", destinationAddress), ANY);
    }

    private BfdFrameClassifier(long mac, long destination, long source) {
        this.expectedMac = mac;
        this.expectedDestination = destination;
        this.expectedSource = source;
    }

    /**
     * A classifier that takes a control packet only when it is addressed as BFD in this tunnel is:
     * to the inner destination MAC and IPv4 address of {@code addressing} (OVS's 00:23:20:00:00:01 and
     * 169.254.1.0 by default). A frame to UDP port 3784 with another MAC or address is
     * {@link BfdFrameVerdict#NOT_BFD}: a tenant's own RFC 5881 BFD between its hosts, which is data
     * and passes, as it does through OVS. (The classifiers of the other constructors take every frame
     * to port 3784 as the endpoint's.) The inner side is kept from sending frames addressed this way
     * with {@link #addressedToTunnelBfd}.
     *
     * <p>{@code addressing} describes what this endpoint's peers send: its destination MAC and
     * address are the ones checked here (the sides of a tunnel agree on them, as OVS's
     * {@code bfd_dst_mac} and {@code bfd_dst_ip}); its source fields are not checked.
     *
     * @param addressing the inner addresses a peer's control packets carry
     * @return a classifier that checks the destination MAC and IPv4 address
     */
    public static BfdFrameClassifier addressedAs(BfdEncapsulation addressing) {
        return new BfdFrameClassifier(addressing.destinationMac(), addressing.destinationAddress(), ANY);
    }

    /**
     * This classifier, taking a control packet only from inner IPv4 {@code sourceAddress} too (as
     * OVS does when {@code bfd_src_ip} is set explicitly); others are
     * {@link BfdFrameVerdict#WRONG_SOURCE}.
     *
     * @param sourceAddress an IPv4 address as an unsigned 32-bit value
     * @return a new classifier with the same other checks
     */
    public BfdFrameClassifier fromSource(long sourceAddress) {
        return new BfdFrameClassifier(expectedMac, expectedDestination, checkAddress("source address", sourceAddress));
    }

    private static long checkAddress(String what, long address) {
        if (address < 0 || address > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(what + " 0x" + Long.toHexString(address)
                    + " (expected: an IPv4 address as an unsigned 32-bit value)");
        }
        return address;
    }

    /**
     * Whether a frame from the inner side (a TAP or a handler) is addressed as this tunnel's BFD: the
     * destination MAC and IPv4 address this classifier expects, UDP to port 3784 (any TTL, checksum or
     * length). Such a frame must not go to a peer, where it would be read as this endpoint's own BFD
     * (a tenant moving a session); a tenant's RFC 5881 BFD to other addresses is not matched. False
     * for a classifier that checks no MAC or no destination.
     *
     * @param frame the segment holding the frame
     * @param offset where the Ethernet header starts
     * @param length the frame's length
     * @return true when the frame must be dropped rather than sent into the tunnel
     * @throws IllegalArgumentException if the region lies outside the segment (a caller's mistake)
     */
    public boolean addressedToTunnelBfd(MemorySegment frame, long offset, long length) {
        BfdWire.checkRegion(frame.byteSize(), offset, length);
        if (expectedMac == ANY || expectedDestination == ANY
                || length < EthernetView.HEADER_LENGTH + Ipv4View.MIN_HEADER_LENGTH + UdpView.HEADER_LENGTH
                || mac(frame, offset) != expectedMac || u16(frame, offset + ETHER_TYPE) != EtherType.IPV4) {
            return false;
        }
        long ip = offset + EthernetView.HEADER_LENGTH;
        int first = u8(frame, ip);
        int headerLength = (first & 0xF) * 4;
        return first >>> 4 == 4 && headerLength >= Ipv4View.MIN_HEADER_LENGTH
                && length - EthernetView.HEADER_LENGTH >= headerLength + UdpView.HEADER_LENGTH
                && u8(frame, ip + IP_PROTOCOL) == EtherType.PROTOCOL_UDP
                && (u16(frame, ip + IP_FLAGS_FRAGMENT) & FRAGMENT_OFFSET) == 0
                && u32(frame, ip + IP_DESTINATION) == expectedDestination
                && u16(frame, ip + headerLength + UDP_DESTINATION_PORT) == Bfd.CONTROL_PORT;
    }

    /**
     * Classifies the inner frame of {@code length} bytes at {@code offset}.
     *
     * @throws IllegalArgumentException if the region lies outside the segment (a caller's mistake)
     */
    public BfdFrameVerdict classify(MemorySegment frame, long offset, long length) {
        BfdWire.checkRegion(frame.byteSize(), offset, length);
        if (length < EthernetView.HEADER_LENGTH + Ipv4View.MIN_HEADER_LENGTH
                || u16(frame, offset + ETHER_TYPE) != EtherType.IPV4) {
            return BfdFrameVerdict.NOT_BFD;
        }
        long ip = offset + EthernetView.HEADER_LENGTH;
        long available = length - EthernetView.HEADER_LENGTH;
        int first = u8(frame, ip);
        int headerLength = (first & 0xF) * 4;
        if (first >>> 4 != 4 || headerLength < Ipv4View.MIN_HEADER_LENGTH
                || available < headerLength + UdpView.HEADER_LENGTH
                || u8(frame, ip + IP_PROTOCOL) != EtherType.PROTOCOL_UDP) {
            return BfdFrameVerdict.NOT_BFD;
        }
        int fragment = u16(frame, ip + IP_FLAGS_FRAGMENT);
        long udp = ip + headerLength;
        if ((fragment & FRAGMENT_OFFSET) != 0 || u16(frame, udp + UDP_DESTINATION_PORT) != Bfd.CONTROL_PORT) {
            return BfdFrameVerdict.NOT_BFD; // a later fragment has no UDP header to read a port from
        }
        if (expectedMac != ANY && (mac(frame, offset) != expectedMac
                || u32(frame, ip + IP_DESTINATION) != expectedDestination)) {
            return BfdFrameVerdict.NOT_BFD; // a tenant's own BFD (RFC 5881) to its own addresses: data
        }
        // addressed to BFD from here on: the frame is the endpoint's whatever follows
        int totalLength = u16(frame, ip + IP_TOTAL_LENGTH);
        if ((fragment & MORE_FRAGMENTS) != 0 || totalLength < headerLength + UdpView.HEADER_LENGTH
                || totalLength > available) {
            return BfdFrameVerdict.MALFORMED;
        }
        if (InternetChecksum.fold(InternetChecksum.sum(frame, ip, headerLength)) != 0xFFFF) {
            return BfdFrameVerdict.BAD_CHECKSUM;
        }
        if (u8(frame, ip + IP_TTL) != Bfd.TTL) {
            return BfdFrameVerdict.TTL_NOT_255;
        }
        long source = u32(frame, ip + IP_SOURCE);
        long destination = u32(frame, ip + IP_DESTINATION);
        if (expectedDestination != ANY && destination != expectedDestination) {
            return BfdFrameVerdict.WRONG_DESTINATION;
        }
        if (expectedSource != ANY && source != expectedSource) {
            return BfdFrameVerdict.WRONG_SOURCE;
        }
        int udpLength = u16(frame, udp + UDP_LENGTH);
        if (udpLength < UdpView.HEADER_LENGTH || udpLength > totalLength - headerLength) {
            return BfdFrameVerdict.MALFORMED;
        }
        // a zero UDP checksum is "not computed" (RFC 768), which OVS sends
        if (u16(frame, udp + UDP_CHECKSUM) != 0 && InternetChecksum.fold(InternetChecksum.pseudoHeaderIpv4(
                source, destination, EtherType.PROTOCOL_UDP, udpLength)
                + InternetChecksum.sum(frame, udp, udpLength)) != 0xFFFF) {
            return BfdFrameVerdict.BAD_CHECKSUM;
        }
        this.payloadOffset = udp + UdpView.HEADER_LENGTH;
        this.payloadLength = udpLength - UdpView.HEADER_LENGTH;
        this.sourcePort = u16(frame, udp + UDP_SOURCE_PORT);
        this.sourceAddress = source;
        return BfdFrameVerdict.CONTROL_PACKET;
    }

    /** Absolute offset of the BFD packet in the segment, after {@link BfdFrameVerdict#CONTROL_PACKET}. */
    public long payloadOffset() {
        return payloadOffset;
    }

    /** Length of the UDP payload (the BFD packet and anything after it), for {@link BfdControlView#tryWrap}. */
    public int payloadLength() {
        return payloadLength;
    }

    /** The inner UDP source port (the peer's session, fixed for its life). */
    public int sourcePort() {
        return sourcePort;
    }

    /** The inner IPv4 source address as an unsigned 32-bit value. */
    public long sourceAddress() {
        return sourceAddress;
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int u16(MemorySegment s, long at) {
        return s.get(NetworkOrder.SHORT, at) & 0xFFFF;
    }

    private static long mac(MemorySegment s, long at) {
        return (long) u16(s, at) << 32 | u32(s, at + 2);
    }

    private static long u32(MemorySegment s, long at) {
        return s.get(NetworkOrder.INT, at) & 0xFFFF_FFFFL;
    }
}
