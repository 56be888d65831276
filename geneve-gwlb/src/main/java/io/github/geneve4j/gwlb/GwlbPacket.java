package io.github.geneve4j.gwlb;

import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One inner packet in the receive buffer and its GWLB context, as an inspector sees it: where the
 * IPv4 or IPv6 packet lies, its protocol and ports, the three GWLB IDs of the datagram that carried
 * it, and its flow. One object per receive thread, reused for every packet: valid only during
 * {@link GwlbInspector#inspect}; nothing in it allocates.
 *
 * <pre>{@code
 * GwlbInspector inspector = packet -> {
 *     if (packet.endpointId() == blockedEndpoint) return GwlbVerdict.DROP;
 *     return GwlbVerdict.FORWARD;
 * };
 * }</pre>
 */
public final class GwlbPacket {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** IP protocol numbers the appliance reads ports of, or fixes checksums for. */
    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ICMPV6 = 58;
    static final int SCTP = 132;

    final Ipv4View ipv4 = new Ipv4View();
    final Ipv6View ipv6 = new Ipv6View();
    MemorySegment segment;
    long offset;
    int length;
    int ipVersion;
    int protocol;
    long transportOffset;
    long transportLength;
    boolean fragment;
    int sourcePort;
    int destinationPort;
    long endpointId;
    long attachmentId;
    int flowCookie;
    int vni;
    int flow;
    boolean newFlow;
    boolean rewritten;
    // the Geneve header's length (it ends at offset), and the inner addresses as two halves each (IPv4 in the low 32 bits)
    int geneveLength;
    long sourceHigh;
    long sourceLow;
    long destinationHigh;
    long destinationLow;

    GwlbPacket() {
    }

    /** The receive buffer that holds the packet (the appliance's native memory). */
    public MemorySegment segment() {
        return segment;
    }

    /** Offset of the inner packet's first byte (its IP header) in {@link #segment()}. */
    public long offset() {
        return offset;
    }

    /** The inner packet's length in bytes, from its IP header to the end of the datagram. */
    public int length() {
        return length;
    }

    /** 4 or 6. */
    public int ipVersion() {
        return ipVersion;
    }

    /** The inner packet's IPv4 header (when {@link #ipVersion()} is 4), wrapped over the packet. */
    public Ipv4View ipv4() {
        return ipv4;
    }

    /** The inner packet's IPv6 header (when {@link #ipVersion()} is 6), wrapped over the packet. */
    public Ipv6View ipv6() {
        return ipv6;
    }

    /** The transport protocol: IPv4's protocol, or IPv6's after its extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6). */
    public int protocol() {
        return protocol;
    }

    /** Offset of the transport header (TCP, UDP, ICMP...) in {@link #segment()}. */
    public long transportOffset() {
        return transportOffset;
    }

    /** Bytes from the transport header to the end of the IP packet. */
    public long transportLength() {
        return transportLength;
    }

    /** Whether the inner packet is a fragment (then ports are read only from the first one). */
    public boolean fragment() {
        return fragment;
    }

    /** The TCP, UDP or SCTP source port; 0 for other protocols and non-first fragments. */
    public int sourcePort() {
        return sourcePort;
    }

    /** The TCP, UDP or SCTP destination port; 0 for other protocols and non-first fragments. */
    public int destinationPort() {
        return destinationPort;
    }

    /** The GWLB endpoint ID (option type 1) of the datagram. */
    public long endpointId() {
        return endpointId;
    }

    /** The GWLB attachment ID (option type 2). */
    public long attachmentId() {
        return attachmentId;
    }

    /** The GWLB flow cookie (option type 3). */
    public int flowCookie() {
        return flowCookie;
    }

    /** The Geneve VNI (GWLB sends 0). */
    public int vni() {
        return vni;
    }

    /**
     * The flow's slot in the appliance's flow table (0 to capacity - 1), the same for both
     * directions of one 5-tuple of one endpoint ID while the flow lives; -1 when the table was full.
     * A slot is reused once its flow has been idle past GWLB's timeout: {@link #newFlow()} says so,
     * so an inspector can keep its own per-flow state in an array indexed by it.
     */
    public int flow() {
        return flow;
    }

    /** Whether this packet started its flow (its slot was free or expired). */
    public boolean newFlow() {
        return newFlow;
    }

    /**
     * Says the inspector changed the packet in place: before it is sent back, the appliance
     * recomputes the IPv4 header checksum and the TCP, UDP, ICMP or ICMPv6 checksum (for a packet that is
     * not a fragment; a UDP-over-IPv4 checksum of 0, meaning none, stays 0).
     */
    public void rewritten() {
        this.rewritten = true;
    }

    /** Recomputes the checksums after a rewrite (package-private: the appliance calls it). */
    void fixChecksums() {
        if (ipVersion == 4) {
            ipv4.updateChecksum();
        }
        if (fragment) {
            return;
        }
        int at = switch (protocol) {
            case TCP -> 16;
            case UDP -> 6;
            case ICMP, ICMPV6 -> 2;
            default -> -1;
        };
        if (at < 0 || transportLength < at + 2) {
            return;
        }
        if (protocol == UDP && ipVersion == 4 && segment.get(U16, transportOffset + at) == 0) {
            return;
        }
        segment.set(U16, transportOffset + at, (short) 0);
        long sum = InternetChecksum.sum(segment, transportOffset, transportLength);
        if (protocol != ICMP) {
            sum += ipVersion == 4 ? ipv4.pseudoHeaderSum(protocol, transportLength)
                    : ipv6.pseudoHeaderSum(protocol, transportLength);
        }
        int checksum = InternetChecksum.finish(sum);
        if (checksum == 0 && protocol == UDP) {
            checksum = 0xFFFF; // RFC 768: a computed 0 is sent as all ones
        }
        segment.set(U16, transportOffset + at, (short) checksum);
    }

    @Override
    public String toString() {
        return "GwlbPacket[IPv" + ipVersion + " protocol " + protocol + " ports " + sourcePort + ">" + destinationPort
                + ", " + length + " bytes, endpoint 0x" + Long.toHexString(endpointId) + ", attachment 0x"
                + Long.toHexString(attachmentId) + ", cookie 0x" + Integer.toHexString(flowCookie) + ", flow " + flow + "]";
    }
}
