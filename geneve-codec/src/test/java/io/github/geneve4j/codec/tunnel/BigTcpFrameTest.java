package io.github.geneve4j.codec.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A Linux BIG TCP super-frame through Geneve, as a capture on the sending host holds it (the GSO
 * packet before the NIC segments it): more than 65,535 bytes, so the outer IPv4 Total Length (or
 * IPv6 Payload Length) is 0, the outer UDP Length is 0 and the inner IP length field is 0 too.
 * tcpdump takes each length from the captured bytes ("presumed BIG TCP", print-ip.c; UDP's
 * "length is zero and the length provided to us is > 65535", print-udp.c); so do our views, and
 * only for that shape: any other length of 0 stays {@code BAD_LENGTH}.
 */
class BigTcpFrameTest {

    private static final int VNI = 0x12_3456;
    // 68,000 bytes of TCP payload, with a 12-byte timestamp option as Linux sends it
    private static final byte[] INNER = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(68_000, 7),
            TcpView.ACK | TcpView.PSH, 0x1000_0000L, 0x4d2);

    /** The outer headers Linux writes for a super-frame: lengths 0, DF, TTL 64, UDP checksum 0. */
    private static byte[] superFrame(IpVersion outer, byte[] inner, int protocol) {
        GeneveHeader geneve = GeneveHeader.of(ProtocolType.ETHERNET, VNI);
        int ip = EthernetView.HEADER_LENGTH;
        int udp = ip + outer.headerLength();
        int g = udp + UdpView.HEADER_LENGTH;
        byte[] frame = new byte[g + geneve.encodedLength() + inner.length];
        MemorySegment s = MemorySegment.ofArray(frame);
        EthernetView.write(s, 0, 0x0200_0000_0002L, 0x0200_0000_0001L, -1, outer.etherType());
        if (outer == IpVersion.IPV4) {
            Ipv4View.write(s, ip, 0, 0, 0x2b67, true, 64, protocol, 0xc000_0201L, 0xc000_0202L);
        } else {
            Ipv6View.write(s, ip, 0, 0x5_4321, 0, protocol, 64, TestFrames.V6_SRC, TestFrames.V6_DST);
        }
        UdpView.write(s, udp, 52_113, 6081, 0, 0);
        geneve.encode(s, g);
        MemorySegment.copy(MemorySegment.ofArray(inner), 0, s, g + geneve.encodedLength(), inner.length);
        return frame;
    }

    @Test
    void aBigTcpSuperFrameOverIpv4IsDecapsulatedWithLengthsFromTheCapture() {
        byte[] frame = superFrame(IpVersion.IPV4, INNER, EtherType.PROTOCOL_UDP);
        assertThat(frame.length).isGreaterThan(65_535);
        GeneveFrameView view = new GeneveFrameView();
        assertThat(view.tryWrap(MemorySegment.ofArray(frame), 0, frame.length)).as(view.errorMessage()).isTrue();
        assertThat(view.ipv4().bigTcp()).isTrue();
        assertThat(view.ipv4().packetLength()).isEqualTo(frame.length - 14);
        assertThat(view.udp().bigTcp()).isTrue();
        assertThat(view.udp().length()).isZero();
        assertThat(view.udp().datagramLength()).isEqualTo(frame.length - 14 - 20);
        assertThat(view.geneve().vni()).isEqualTo(VNI);
        assertThat(view.innerLength()).isEqualTo(INNER.length);
        assertThat(view.inner().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(INNER);
        assertThat(view.udpChecksumValid()).as("0: not computed").isTrue();

        // and the inner frame, BIG TCP itself, is located to its TCP payload
        FrameLocator inner = new FrameLocator().wrap(FrameLocator.Link.ETHERNET, view.inner(), 0, view.innerLength());
        assertThat(inner.protocol()).isEqualTo(EtherType.PROTOCOL_TCP);
        assertThat(inner.ipv4().bigTcp()).isTrue();
        assertThat(inner.transportLength()).isEqualTo(20 + 12 + 68_000);
        assertThat(inner.trailerLength()).isZero();
    }

    @Test
    void aBigTcpSuperFrameOverIpv6WithoutJumboOptionIsDecapsulated() {
        byte[] frame = superFrame(IpVersion.IPV6, INNER, EtherType.PROTOCOL_UDP);
        GeneveFrameView view = new GeneveFrameView();
        assertThat(view.tryWrap(MemorySegment.ofArray(frame), 0, frame.length)).as(view.errorMessage()).isTrue();
        assertThat(view.ipv6().bigTcp()).isTrue();
        assertThat(view.udp().datagramLength()).isEqualTo(frame.length - 14 - 40);
        assertThat(view.innerLength()).isEqualTo(INNER.length);
    }

    @Test
    void otherZeroLengthsStayErrors() {
        // an IPv4 Total Length of 0 in a packet that fits the field: not BIG TCP, a bad length
        byte[] small = superFrame(IpVersion.IPV4, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100],
                TcpView.ACK, 1, 1), EtherType.PROTOCOL_UDP);
        assertRefused(small, Reason.BAD_LENGTH, 14 + Ipv4View.TOTAL_LENGTH_OFFSET);

        // Total Length 0 beyond 64 KiB, but neither TCP nor UDP (ICMP): tcpdump does not presume BIG TCP either
        byte[] icmp = superFrame(IpVersion.IPV4, INNER, 1);
        assertRefused(icmp, Reason.BAD_LENGTH, 14 + Ipv4View.TOTAL_LENGTH_OFFSET);

        // a UDP Length of 0 inside an IP packet whose own length is stated: damage
        byte[] stated = superFrame(IpVersion.IPV4, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100],
                TcpView.ACK, 1, 1), EtherType.PROTOCOL_UDP);
        MemorySegment s = MemorySegment.ofArray(stated);
        s.set(NetworkOrder.SHORT, 14 + Ipv4View.TOTAL_LENGTH_OFFSET, (short) (stated.length - 14));
        new Ipv4View().wrap(s, 14, stated.length - 14).updateChecksum();
        assertRefused(stated, Reason.BAD_LENGTH, 14 + 20 + UdpView.LENGTH_OFFSET);

        // the same over IPv6: Payload Length stated, UDP Length 0
        byte[] v6 = superFrame(IpVersion.IPV6, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100],
                TcpView.ACK, 1, 1), EtherType.PROTOCOL_UDP);
        MemorySegment.ofArray(v6).set(NetworkOrder.SHORT, 14 + Ipv6View.PAYLOAD_LENGTH_OFFSET, (short) (v6.length - 14 - 40));
        assertRefused(v6, Reason.BAD_LENGTH, 14 + 40 + UdpView.LENGTH_OFFSET);
    }

    @Test
    void aUdpLengthOfZeroNeedsMoreThan65535Bytes() {
        byte[] datagram = new byte[65_535];
        UdpView.write(MemorySegment.ofArray(datagram), 0, 1, 6081, 0, 0);
        UdpView udp = new UdpView();
        assertThat(udp.tryWrap(MemorySegment.ofArray(datagram), 0, datagram.length)).isFalse();
        assertThat(udp.errorReason()).isEqualTo(Reason.BAD_LENGTH);
        byte[] jumbo = new byte[65_536];
        UdpView.write(MemorySegment.ofArray(jumbo), 0, 1, 6081, 0, 0);
        assertThat(udp.tryWrap(MemorySegment.ofArray(jumbo), 0, jumbo.length)).isTrue();
        assertThat(udp.datagramLength()).isEqualTo(65_536);
        assertThat(udp.payloadLength()).isEqualTo(65_528);
    }

    private static void assertRefused(byte[] frame, Reason reason, long offset) {
        GeneveFrameView view = new GeneveFrameView();
        assertThat(view.tryWrap(MemorySegment.ofArray(frame), 0, frame.length)).isFalse();
        assertThat(view.errorReason()).isEqualTo(reason);
        assertThat(view.errorOffset()).as(view.errorMessage()).isEqualTo(offset);
    }
}
