package io.github.geneve4j.endpoint.bfd;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;

/**
 * How one session's control packets travel inside Geneve (RFC 9521 §4, Ethernet payload): the inner
 * Ethernet, IPv4 and UDP headers it writes in front of each packet, and the O bit of the Geneve header
 * that carries them. The defaults are Open vSwitch's, so that each side accepts the other's packets
 * unchanged; see the package description for where they differ from RFC 9521.
 *
 * <pre>{@code
 * BfdEncapsulation encap = BfdEncapsulation.defaults(localMac, 49152 + sessionIndex);
 * GeneveHeader geneve = encap.geneveHeader(peerVni);       // once: O bit as configured
 * int n = encap.writeFrame(buffer, innerOffset, session);  // per packet: 66 bytes
 * }</pre>
 *
 * @param destinationMac inner destination MAC as a 48-bit value (default 00:23:20:00:00:01, OVS's)
 * @param sourceMac inner source MAC as a 48-bit value (the endpoint's own, or a random local one)
 * @param sourceAddress inner IPv4 source as an unsigned 32-bit value (default 169.254.1.1)
 * @param destinationAddress inner IPv4 destination (default 169.254.1.0)
 * @param sourcePort inner UDP source port, fixed for the session, 49152..65535 (RFC 5881 §4)
 * @param udpChecksum whether to compute the inner UDP checksum (default) or send 0 as OVS does
 *     (RFC 768 allows 0 over IPv4)
 * @param oam the Geneve O bit for these packets: {@code true} as RFC 9521 §4 requires (default),
 *     {@code false} as OVS sends unless {@code bfd:oam=true}
 */
public record BfdEncapsulation(long destinationMac, long sourceMac, long sourceAddress, long destinationAddress,
        int sourcePort, boolean udpChecksum, boolean oam) {

    /** OVS's inner destination MAC for BFD, 00:23:20:00:00:01 ({@code lib/bfd.c}, {@code eth_addr_bfd}). */
    public static final long OVS_DESTINATION_MAC = 0x0023_2000_0001L;
    /** OVS's default inner source address ({@code bfd_src_ip}), 169.254.1.1. */
    public static final long OVS_SOURCE_ADDRESS = 0xA9FE_0101L;
    /** OVS's default inner destination address ({@code bfd_dst_ip}), 169.254.1.0. */
    public static final long OVS_DESTINATION_ADDRESS = 0xA9FE_0100L;
    /** Length of the inner frame written: Ethernet 14 + IPv4 20 + UDP 8 + BFD 24. */
    public static final int FRAME_LENGTH = EthernetView.HEADER_LENGTH + Ipv4View.MIN_HEADER_LENGTH
            + UdpView.HEADER_LENGTH + Bfd.CONTROL_PACKET_LENGTH;
    /** Offset of the BFD packet in the inner frame written. */
    public static final int CONTROL_PACKET_OFFSET = FRAME_LENGTH - Bfd.CONTROL_PACKET_LENGTH;

    // DSCP CS6 ("network control", RFC 4594 §3.2), which routers give their own BFD
    private static final int DSCP_CS6 = 0xC0;
    private static final int IP_OFFSET = EthernetView.HEADER_LENGTH;
    private static final int UDP_OFFSET = IP_OFFSET + Ipv4View.MIN_HEADER_LENGTH;
    private static final int UDP_LENGTH = UdpView.HEADER_LENGTH + Bfd.CONTROL_PACKET_LENGTH;

    /** Validates the MACs (48 bits), addresses (32 bits) and source port (49152..65535). */
    public BfdEncapsulation {
        checkMac("destination MAC", destinationMac);
        checkMac("source MAC", sourceMac);
        checkAddress("source address", sourceAddress);
        checkAddress("destination address", destinationAddress);
        if (sourcePort < Bfd.MIN_SOURCE_PORT || sourcePort > Bfd.MAX_SOURCE_PORT) {
            throw new IllegalArgumentException("BFD UDP source port " + sourcePort + " (expected: "
                    + Bfd.MIN_SOURCE_PORT + ".." + Bfd.MAX_SOURCE_PORT + ", RFC 5881 §4)");
        }
    }

    private static void checkMac(String what, long mac) {
        if (mac < 0 || mac > 0xFFFF_FFFF_FFFFL) {
            throw new IllegalArgumentException(what + " 0x" + Long.toHexString(mac) + " (expected: 48 bits)");
        }
    }

    private static void checkAddress(String what, long address) {
        if (address < 0 || address > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(what + " 0x" + Long.toHexString(address)
                    + " (expected: an IPv4 address as an unsigned 32-bit value)");
        }
    }

    /**
     * OVS's defaults (00:23:20:00:00:01, 169.254.1.1 → 169.254.1.0) with the UDP checksum computed
     * and the O bit set (RFC 9521 §4).
     */
    public static BfdEncapsulation defaults(long sourceMac, int sourcePort) {
        return new BfdEncapsulation(OVS_DESTINATION_MAC, sourceMac, OVS_SOURCE_ADDRESS, OVS_DESTINATION_ADDRESS,
                sourcePort, true, true);
    }

    /** This encapsulation with another inner destination MAC. */
    public BfdEncapsulation withDestinationMac(long mac) {
        return new BfdEncapsulation(mac, sourceMac, sourceAddress, destinationAddress, sourcePort, udpChecksum, oam);
    }

    /** This encapsulation with other inner IPv4 addresses (OVS: {@code bfd_src_ip}, {@code bfd_dst_ip}). */
    public BfdEncapsulation withAddresses(long source, long destination) {
        return new BfdEncapsulation(destinationMac, sourceMac, source, destination, sourcePort, udpChecksum, oam);
    }

    /** This encapsulation with another inner UDP source port (49152..65535). */
    public BfdEncapsulation withSourcePort(int port) {
        return new BfdEncapsulation(destinationMac, sourceMac, sourceAddress, destinationAddress, port, udpChecksum, oam);
    }

    /** This encapsulation with the UDP checksum computed or left 0. */
    public BfdEncapsulation withUdpChecksum(boolean compute) {
        return new BfdEncapsulation(destinationMac, sourceMac, sourceAddress, destinationAddress, sourcePort, compute,
                oam);
    }

    /** This encapsulation with the Geneve O bit set or clear. */
    public BfdEncapsulation withOam(boolean bit) {
        return new BfdEncapsulation(destinationMac, sourceMac, sourceAddress, destinationAddress, sourcePort,
                udpChecksum, bit);
    }

    /**
     * The Geneve header for this session's packets to a peer: protocol type 0x6558 (RFC 9521 §4),
     * the peer's VNI, no options, the O bit as configured. Build it once per session (allocates).
     */
    public GeneveHeader geneveHeader(int vni) {
        return GeneveHeader.of(ProtocolType.ETHERNET, vni).withOam(oam);
    }

    /**
     * Writes the inner frame of the session's next packet at {@code offset}: Ethernet, IPv4 (TTL
     * 255, DF, ID 0: an atomic datagram, RFC 6864), UDP to 3784 and the control packet from
     * {@link BfdSession#writePacket}. Allocates nothing.
     *
     * @return {@value #FRAME_LENGTH}
     * @throws IllegalArgumentException if fewer than {@value #FRAME_LENGTH} bytes remain from {@code offset}
     */
    public int writeFrame(MemorySegment target, long offset, BfdSession session) {
        long size = target.byteSize();
        if (offset < 0 || offset > size || size - offset < FRAME_LENGTH) {
            throw new IllegalArgumentException("BFD frame needs " + FRAME_LENGTH + " bytes at offset " + offset
                    + " (buffer size " + size + ")");
        }
        session.writePacket(target, offset + CONTROL_PACKET_OFFSET);
        writeHeaders(target, offset);
        return FRAME_LENGTH;
    }

    /**
     * Writes the Ethernet, IPv4 and UDP headers of a frame whose 24-byte control packet is already in
     * place at {@code offset + CONTROL_PACKET_OFFSET} (the UDP checksum covers it).
     *
     * @throws IllegalArgumentException if fewer than {@value #FRAME_LENGTH} bytes remain from {@code offset}
     */
    public void writeHeaders(MemorySegment target, long offset) {
        long size = target.byteSize();
        if (offset < 0 || offset > size || size - offset < FRAME_LENGTH) {
            throw new IllegalArgumentException("BFD frame needs " + FRAME_LENGTH + " bytes at offset " + offset
                    + " (buffer size " + size + ")");
        }
        EthernetView.write(target, offset, destinationMac, sourceMac, -1, EtherType.IPV4);
        Ipv4View.write(target, offset + IP_OFFSET, DSCP_CS6, Ipv4View.MIN_HEADER_LENGTH + UDP_LENGTH, 0, true,
                Bfd.TTL, EtherType.PROTOCOL_UDP, sourceAddress, destinationAddress);
        long udp = offset + UDP_OFFSET;
        UdpView.write(target, udp, sourcePort, Bfd.CONTROL_PORT, UDP_LENGTH, 0);
        if (udpChecksum) {
            long sum = InternetChecksum.pseudoHeaderIpv4(sourceAddress, destinationAddress, EtherType.PROTOCOL_UDP,
                    UDP_LENGTH) + InternetChecksum.sum(target, udp, UDP_LENGTH);
            int checksum = InternetChecksum.finish(sum);
            // 0 means "no checksum" in UDP (RFC 768): a computed 0 is sent as its other form, 0xFFFF
            target.set(NetworkOrder.SHORT, udp + 6, (short) (checksum == 0 ? 0xFFFF : checksum));
        }
    }
}
