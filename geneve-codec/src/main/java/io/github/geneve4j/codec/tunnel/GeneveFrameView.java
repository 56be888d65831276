package io.github.geneve4j.codec.tunnel;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;

/**
 * Decapsulation: a reusable view over a whole Geneve frame (outer Ethernet, IPv4 or IPv6, UDP,
 * Geneve) that hands out the outer headers' views and the inner frame's place.
 *
 * <pre>{@code
 * GeneveFrameView frame = new GeneveFrameView();
 * frame.wrap(packet, 0, packetLength);
 * int vni = frame.geneve().vni();
 * MemorySegment inner = frame.inner();              // a slice: no copy
 * }</pre>
 *
 * <p>{@code wrap} validates every layer and allocates nothing; the UDP destination port must be the
 * configured one (6081 by default). An error found by a layer's own view (a bad IPv4 header, a
 * truncated UDP header, a bad Geneve version) has that view's offset, counted from the first byte of
 * the layer (the message names the layer); the checks {@code wrap} makes between the layers (the
 * EtherType, an IPv4 fragment, an IP protocol other than UDP, the UDP port, a Geneve header longer
 * than the UDP payload) count from the first byte of the frame.
 */
public final class GeneveFrameView {

    private final int port;
    private final EthernetView ethernet = new EthernetView();
    private final Ipv4View ipv4 = new Ipv4View();
    private final Ipv6View ipv6 = new Ipv6View();
    private final UdpView udp = new UdpView();
    private final GeneveView geneve = new GeneveView();
    private MemorySegment segment;
    private long offset;
    private IpVersion ipVersion;
    private long innerOffset;
    private long innerLength;

    /** A view accepting UDP destination port 6081. */
    public GeneveFrameView() {
        this(Geneve.UDP_PORT);
    }

    /** A view accepting the given UDP destination port. */
    public GeneveFrameView(int port) {
        this.port = port;
    }

    /**
     * Wraps and validates the frame of {@code length} bytes at {@code offset}.
     *
     * @throws GeneveFormatException on a bad or truncated layer, {@code UNSUPPORTED_PROTOCOL} for a
     *     frame that is not IP/UDP to the Geneve port or an IPv4 fragment
     */
    public GeneveFrameView wrap(MemorySegment segment, long offset, long length) {
        ethernet.wrap(segment, offset, length);
        long udpOffset;
        long udpAvailable;
        int protocol;
        switch (ethernet.etherType()) {
            case EtherType.IPV4 -> {
                ipv4.wrap(segment, ethernet.payloadOffset(), ethernet.payloadLength());
                if (ipv4.moreFragments() || ipv4.fragmentOffset() != 0) {
                    throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, ethernet.headerLength() + 6L,
                            "IPv4 fragment");
                }
                protocol = ipv4.protocol();
                udpOffset = ipv4.payloadOffset();
                udpAvailable = ipv4.payloadLength();
                ipVersion = IpVersion.IPV4;
            }
            case EtherType.IPV6 -> {
                ipv6.wrap(segment, ethernet.payloadOffset(), ethernet.payloadLength());
                protocol = ipv6.upperLayerProtocol();
                udpOffset = ipv6.upperLayerOffset();
                udpAvailable = ipv6.upperLayerLength();
                ipVersion = IpVersion.IPV6;
            }
            default -> throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, ethernet.headerLength() - 2,
                    "EtherType 0x%04x (expected: IPv4 or IPv6)".formatted(ethernet.etherType()));
        }
        if (protocol != EtherType.PROTOCOL_UDP) {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, udpOffset - offset,
                    "IP protocol " + protocol + " (expected: 17, UDP)");
        }
        udp.wrap(segment, udpOffset, udpAvailable);
        if (udp.destinationPort() != port) {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, udpOffset - offset + 2,
                    "UDP destination port " + udp.destinationPort() + " (expected: " + port + ")");
        }
        geneve.wrap(segment, udp.payloadOffset());
        if (geneve.headerLength() > udp.payloadLength()) {
            throw new GeneveFormatException(Reason.TRUNCATED, udp.payloadOffset() - offset,
                    "Geneve header of " + geneve.headerLength() + " bytes in a UDP payload of "
                            + udp.payloadLength() + " bytes");
        }
        this.segment = segment;
        this.offset = offset;
        this.innerOffset = geneve.payloadOffset();
        this.innerLength = udp.payloadOffset() + udp.payloadLength() - innerOffset;
        return this;
    }

    /** The outer Ethernet header. */
    public EthernetView ethernet() {
        return ethernet;
    }

    /** The outer IP version. */
    public IpVersion ipVersion() {
        return ipVersion;
    }

    /** The outer IPv4 header; meaningful only when {@link #ipVersion()} is IPv4. */
    public Ipv4View ipv4() {
        return ipv4;
    }

    /** The outer IPv6 header; meaningful only when {@link #ipVersion()} is IPv6. */
    public Ipv6View ipv6() {
        return ipv6;
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
        long pseudo = ipVersion == IpVersion.IPV4
                ? ipv4.pseudoHeaderSum(EtherType.PROTOCOL_UDP, udp.length())
                : ipv6.pseudoHeaderSum(EtherType.PROTOCOL_UDP, udp.length());
        return udp.checksumValid(pseudo);
    }
}
