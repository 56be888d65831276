package io.github.geneve4j.codec.tunnel;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.internal.Internals;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.FlowHash;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * One side of a Geneve tunnel: the outer Ethernet, IP, UDP and Geneve headers put in front of inner
 * frames.
 *
 * <pre>{@code
 * GeneveTunnel tunnel = GeneveTunnel.builder()
 *         .macs(0x020000000001L, 0x020000000002L)
 *         .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
 *         .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000))
 *         .build();
 * // the inner frame sits at offset 256 of buf: encapsulate in place, in front of it
 * long start = tunnel.encapsulate(buf, 256, innerLength);
 * long frameLength = tunnel.overhead() + innerLength;
 * }</pre>
 *
 * <p>The outer headers are prepared once, as a template; per frame only the lengths, the IPv4 ID,
 * the UDP source port and the checksums are written. The UDP source port is a hash of the inner
 * flow ({@link FlowHash}) mapped into {@link Builder#sourcePortRange(int, int)}, the same for every
 * frame of a flow. The UDP checksum is computed by default (a result of 0 is sent as 0xFFFF, RFC 768);
 * {@link Builder#udpChecksum(boolean) udpChecksum(false)} sends 0, which RFC 8926 §3.3 allows over
 * IPv4 and, over IPv6, only under RFC 6935/6936.
 *
 * <p>Not thread-safe: the outer IPv4 Identification is a counter in the tunnel, advanced once per
 * frame. Use one instance per thread (built from the same builder).
 */
public final class GeneveTunnel {

    static {
        Internals.tunnel((tunnel, target, offset, innerLength, sourcePort, innerSum)
                -> tunnel.writeHeaders(target, offset, innerLength, sourcePort, innerSum));
    }

    private final MemorySegment template;
    private final IpVersion ipVersion;
    private final int ethernetLength;
    private final int ipOffset;
    private final int udpOffset;
    private final int overhead;
    private final int geneveLength;
    private final int protocolType;
    private final int destinationPort;
    private final int sourcePortMin;
    private final int sourcePortMax;
    private final boolean udpChecksum;
    private final long pseudoHeaderBase;
    private final long geneveSum;
    private final long ipv4HeaderSum; // the outer IPv4 header's sum with length, ID and checksum zero
    private final GeneveHeader header;
    private int nextId;

    private GeneveTunnel(Builder b) {
        this.header = Objects.requireNonNull(b.header, "header");
        this.ipVersion = b.source instanceof Inet6Address ? IpVersion.IPV6 : IpVersion.IPV4;
        this.ethernetLength = b.vlanTci >= 0 ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH;
        this.ipOffset = ethernetLength;
        this.udpOffset = ipOffset + ipVersion.headerLength();
        this.geneveLength = header.encodedLength();
        this.overhead = udpOffset + UdpView.HEADER_LENGTH + geneveLength;
        this.protocolType = header.protocolType();
        this.destinationPort = b.destinationPort;
        this.sourcePortMin = b.sourcePortMin;
        this.sourcePortMax = b.sourcePortMax;
        this.udpChecksum = b.udpChecksum;
        this.nextId = b.firstId;

        MemorySegment t = MemorySegment.ofArray(new byte[overhead]);
        EthernetView.write(t, 0, b.destinationMac, b.sourceMac, b.vlanTci, ipVersion.etherType());
        int trafficClass = (b.dscp << 2) | b.ecn;
        if (ipVersion == IpVersion.IPV4) {
            Ipv4View.write(t, ipOffset, trafficClass, 0, 0, b.dontFragment, b.ttl, EtherType.PROTOCOL_UDP,
                    Wire.u32(MemorySegment.ofArray(b.source.getAddress()), 0),
                    Wire.u32(MemorySegment.ofArray(b.destination.getAddress()), 0));
            Wire.putU16(t, ipOffset + Ipv4View.CHECKSUM_OFFSET, 0); // computed per frame, over the per-frame length and ID
            this.ipv4HeaderSum = InternetChecksum.sum(t, ipOffset, Ipv4View.MIN_HEADER_LENGTH);
            this.pseudoHeaderBase = InternetChecksum.sum(t, ipOffset + Ipv4View.SOURCE_OFFSET, 2 * Ipv4View.ADDRESS_LENGTH)
                    + EtherType.PROTOCOL_UDP;
        } else {
            Ipv6View.write(t, ipOffset, trafficClass, b.flowLabel, 0, EtherType.PROTOCOL_UDP, b.ttl,
                    b.source.getAddress(), b.destination.getAddress());
            this.ipv4HeaderSum = 0;
            this.pseudoHeaderBase = InternetChecksum.sum(t, ipOffset + Ipv6View.SOURCE_OFFSET, 2 * Ipv6View.ADDRESS_LENGTH)
                    + EtherType.PROTOCOL_UDP;
        }
        UdpView.write(t, udpOffset, 0, destinationPort, 0, 0);
        header.encode(t, udpOffset + UdpView.HEADER_LENGTH);
        this.geneveSum = InternetChecksum.sum(t, udpOffset + UdpView.HEADER_LENGTH, geneveLength);
        this.template = t;
    }

    /** A builder with defaults: no VLAN, TTL 64, DSCP 0, ECN 0, DF set, port 6081, checksum on. */
    public static Builder builder() {
        return new Builder();
    }

    /** Bytes put in front of an inner frame: outer Ethernet, IP, UDP and the Geneve header. */
    public int overhead() {
        return overhead;
    }

    /**
     * Bytes the encapsulation adds inside the outer MTU: outer IP, UDP and Geneve header (the
     * {@link #overhead()} without the outer Ethernet header; see {@link TunnelOverhead}).
     */
    public int ipOverhead() {
        return overhead - ethernetLength;
    }

    /** The outer IP version. */
    public IpVersion ipVersion() {
        return ipVersion;
    }

    /** The Geneve header sent in every frame. */
    public GeneveHeader header() {
        return header;
    }

    /** Whether the outer UDP checksum is computed (otherwise sent as 0). */
    public boolean udpChecksum() {
        return udpChecksum;
    }

    /** The outer UDP source port for an inner frame: its flow hash mapped into the configured range. */
    public int sourcePort(MemorySegment inner, long offset, long length) {
        return FlowHash.sourcePort(FlowHash.hash(inner, offset, length, protocolType), sourcePortMin, sourcePortMax);
    }

    /**
     * Encapsulates in place: writes the outer headers in the {@link #overhead()} bytes in front of
     * the inner frame at {@code innerOffset}.
     *
     * @return the offset of the outer frame, {@code innerOffset - overhead()}; its length is
     *     {@code overhead() + innerLength}
     * @throws IllegalArgumentException if there is not enough headroom, the inner frame lies outside
     *     the segment, or the outer UDP datagram or IPv4 packet would exceed 65535 bytes
     */
    public long encapsulate(MemorySegment segment, long innerOffset, long innerLength) {
        if (innerOffset < overhead) {
            throw new IllegalArgumentException("headroom of " + innerOffset + " bytes (needed: " + overhead + ")");
        }
        Wire.checkTarget(segment.byteSize(), innerOffset, innerLength, "inner frame");
        long start = innerOffset - overhead;
        long innerSum = udpChecksum ? InternetChecksum.sum(segment, innerOffset, innerLength) : 0;
        writeHeaders(segment, start, innerLength, sourcePort(segment, innerOffset, innerLength), innerSum);
        return start;
    }

    /**
     * Encapsulates into {@code target}: copies the inner frame after the outer headers.
     *
     * @return the length of the outer frame written at {@code targetOffset}
     * @throws IllegalArgumentException if the target is too small or the UDP datagram too large
     */
    public long encapsulate(MemorySegment inner, long innerOffset, long innerLength, MemorySegment target,
            long targetOffset) {
        Wire.checkTarget(inner.byteSize(), innerOffset, innerLength, "inner frame");
        Wire.checkTarget(target.byteSize(), targetOffset, overhead + innerLength, "target");
        MemorySegment.copy(inner, innerOffset, target, targetOffset + overhead, innerLength);
        encapsulate(target, targetOffset + overhead, innerLength);
        return overhead + innerLength;
    }

    /**
     * Writes the outer headers at {@code offset} for an inner frame of {@code innerLength} bytes that
     * follows them, when the caller already knows the inner frame's one's complement sum (as the
     * segmenter does) and its flow's source port. Advances the IPv4 Identification.
     *
     * @param innerSum a partial {@link InternetChecksum#sum} of the inner frame's bytes; ignored
     *     when the UDP checksum is off
     * @return {@link #overhead()}
     * @throws IllegalArgumentException if the UDP datagram would exceed 65535 bytes, or the outer IPv4
     *     packet (whose Total Length counts its header too) 65535 bytes
     */
    int writeHeaders(MemorySegment target, long offset, long innerLength, int sourcePort, long innerSum) {
        long udpLength = UdpView.HEADER_LENGTH + geneveLength + innerLength;
        if (udpLength > 0xFFFF) {
            throw new IllegalArgumentException("outer UDP datagram of " + udpLength
                    + " bytes (expected: at most 65535); segment the inner frame first");
        }
        if (ipVersion == IpVersion.IPV4 && Ipv4View.MIN_HEADER_LENGTH + udpLength > 0xFFFF) {
            // a Total Length above 65535 would be written modulo 2^16: a corrupt, short packet
            throw new IllegalArgumentException("outer IPv4 packet of " + (Ipv4View.MIN_HEADER_LENGTH + udpLength)
                    + " bytes (expected: at most 65535); segment the inner frame first");
        }
        MemorySegment.copy(template, 0, target, offset, overhead);
        long ip = offset + ipOffset;
        if (ipVersion == IpVersion.IPV4) {
            int totalLength = (int) (Ipv4View.MIN_HEADER_LENGTH + udpLength);
            Wire.putU16(target, ip + Ipv4View.TOTAL_LENGTH_OFFSET, totalLength);
            Wire.putU16(target, ip + Ipv4View.IDENTIFICATION_OFFSET, nextId);
            // from the template's sum plus the two words that change, rather than summing the header
            // just written: a loop set up for 20 bytes, per frame, and per segment for the segmenter
            Wire.putU16(target, ip + Ipv4View.CHECKSUM_OFFSET, InternetChecksum.finish(ipv4HeaderSum + totalLength + nextId));
            nextId = (nextId + 1) & 0xFFFF;
        } else {
            Wire.putU16(target, ip + Ipv6View.PAYLOAD_LENGTH_OFFSET, (int) udpLength);
        }
        long udp = offset + udpOffset;
        Wire.putU16(target, udp + UdpView.SOURCE_PORT_OFFSET, sourcePort);
        Wire.putU16(target, udp + UdpView.LENGTH_OFFSET, (int) udpLength);
        if (udpChecksum) {
            // pseudo-header + UDP header (its checksum field still 0) + Geneve header + inner frame
            long sum = pseudoHeaderBase + udpLength + sourcePort + destinationPort + udpLength + geneveSum + innerSum;
            int checksum = InternetChecksum.finish(sum);
            Wire.putU16(target, udp + UdpView.CHECKSUM_OFFSET, checksum == 0 ? 0xFFFF : checksum);
        }
        return overhead;
    }

    /** Builder of a {@link GeneveTunnel}; a builder may build many tunnels (one per thread). */
    public static final class Builder {
        private long sourceMac = 0x02_00_00_00_00_01L;
        private long destinationMac = 0x02_00_00_00_00_02L;
        private int vlanTci = -1;
        private InetAddress source;
        private InetAddress destination;
        private int ttl = 64;
        private int dscp;
        private int ecn;
        private int flowLabel;
        private boolean dontFragment = true;
        private int destinationPort = Geneve.UDP_PORT;
        private int sourcePortMin = 49152;
        private int sourcePortMax = 65535;
        private boolean udpChecksum = true;
        private int firstId;
        private GeneveHeader header;

        private Builder() {
        }

        /** Outer source and destination MAC addresses as 48-bit values. */
        public Builder macs(long source, long destination) {
            this.sourceMac = source & 0xFFFF_FFFF_FFFFL;
            this.destinationMac = destination & 0xFFFF_FFFF_FFFFL;
            return this;
        }

        /** An 802.1Q tag on the outer frame: VLAN ID 0..4095 and priority 0..7. */
        public Builder vlan(int vlanId, int priority) {
            check(vlanId, 0, 4095, "VLAN ID");
            check(priority, 0, 7, "VLAN priority");
            this.vlanTci = (priority << 13) | vlanId;
            return this;
        }

        /** Outer IP addresses, both IPv4 or both IPv6; they choose the outer IP version. */
        public Builder addresses(InetAddress source, InetAddress destination) {
            if ((source instanceof Inet4Address) != (destination instanceof Inet4Address)) {
                throw new IllegalArgumentException("addresses of different families: " + source + ", " + destination);
            }
            this.source = source;
            this.destination = destination;
            return this;
        }

        /** TTL (IPv4) or hop limit (IPv6), 1..255; default 64. */
        public Builder ttl(int ttl) {
            this.ttl = check(ttl, 1, 255, "TTL");
            return this;
        }

        /** DSCP (0..63) and ECN (0..3) of the outer header; default 0 and 0 (Not-ECT). */
        public Builder trafficClass(int dscp, int ecn) {
            this.dscp = check(dscp, 0, 63, "DSCP");
            this.ecn = check(ecn, 0, 3, "ECN");
            return this;
        }

        /** The outer IPv6 flow label (20 bits); default 0. */
        public Builder flowLabel(int flowLabel) {
            this.flowLabel = check(flowLabel, 0, 0xF_FFFF, "flow label");
            return this;
        }

        /** The outer IPv4 DF bit; default set (RFC 8926 §4.1.1: avoid fragmentation). */
        public Builder dontFragment(boolean dontFragment) {
            this.dontFragment = dontFragment;
            return this;
        }

        /** The first outer IPv4 Identification; default 0. */
        public Builder firstId(int id) {
            this.firstId = check(id, 0, 0xFFFF, "IPv4 ID");
            return this;
        }

        /** The UDP destination port; default 6081. */
        public Builder destinationPort(int port) {
            this.destinationPort = check(port, 0, 0xFFFF, "port");
            return this;
        }

        /** The range the flow hash maps source ports into; default 49152..65535 (the dynamic range). */
        public Builder sourcePortRange(int min, int max) {
            check(min, 0, 0xFFFF, "port");
            check(max, min, 0xFFFF, "port");
            this.sourcePortMin = min;
            this.sourcePortMax = max;
            return this;
        }

        /** Whether to compute the outer UDP checksum (default) or send 0. */
        public Builder udpChecksum(boolean compute) {
            this.udpChecksum = compute;
            return this;
        }

        /** The Geneve header every frame carries; its protocol type says what the inner frames are. */
        public Builder header(GeneveHeader header) {
            this.header = Objects.requireNonNull(header, "header");
            return this;
        }

        /**
         * A tunnel with this builder's settings; the builder may go on to build more (one per thread).
         *
         * @return a new tunnel
         * @throws IllegalStateException if addresses or the header are missing
         */
        public GeneveTunnel build() {
            if (source == null || header == null) {
                throw new IllegalStateException("addresses and header are required");
            }
            return new GeneveTunnel(this);
        }

        private static int check(int value, int min, int max, String what) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(what + " " + value + " out of range (expected: " + min + ".." + max + ")");
            }
            return value;
        }
    }
}
