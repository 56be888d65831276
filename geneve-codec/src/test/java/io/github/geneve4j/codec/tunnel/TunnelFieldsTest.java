package io.github.geneve4j.codec.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Every per-frame field GeneveTunnel writes, every builder setting, and every GeneveFrameView check. */
class TunnelFieldsTest {

    private static final byte[] INNER = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(100, 1), 0x10, 1, 2);

    private static GeneveTunnel.Builder v4() throws Exception {
        return GeneveTunnelTest.builder(IpVersion.IPV4, false);
    }

    private static GeneveTunnel.Builder v6() throws Exception {
        return GeneveTunnelTest.builder(IpVersion.IPV6, false);
    }

    /** Encapsulates {@link #INNER} at offset 5 of a segment; returns the view over the outer frame. */
    private static GeneveFrameView encap(GeneveTunnel tunnel, byte[] inner, int port) {
        MemorySegment s = MemorySegment.ofArray(new byte[5 + tunnel.overhead() + inner.length + 7]);
        long length = tunnel.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, s, 5);
        assertThat(length).isEqualTo(tunnel.overhead() + inner.length);
        GeneveFrameView view = new GeneveFrameView(port).wrap(s, 5, length);
        assertThat(view.offset()).isEqualTo(5);
        return view;
    }

    @Test
    void ipv4OuterHeaderFields() throws Exception {
        GeneveTunnel tunnel = v4().trafficClass(46, 1).ttl(200).dontFragment(false).firstId(0xFFFF)
                .macs(0xFFFF_0000_0000_0001L, 0xAB02_0200_0000_0002L).build();
        assertThat(tunnel.ipVersion()).isEqualTo(IpVersion.IPV4);
        assertThat(tunnel.overhead()).isEqualTo(14 + 20 + 8 + 8);
        assertThat(tunnel.ipOverhead()).isEqualTo(20 + 8 + 8);
        assertThat(tunnel.udpChecksum()).isTrue();
        GeneveFrameView view = encap(tunnel, INNER, 6081);
        assertThat(view.ethernet().tagged()).isFalse();
        // MAC addresses are 48 bits: higher bits are dropped, not spilled
        assertThat(view.ethernet().source()).isEqualTo(1);
        assertThat(view.ethernet().destination()).isEqualTo(0x0200_0000_0002L);
        assertThat(view.ethernet().etherType()).isEqualTo(EtherType.IPV4);
        var ip = view.ipv4();
        assertThat(ip.dscp()).isEqualTo(46);
        assertThat(ip.ecn()).isEqualTo(1);
        assertThat(ip.ttl()).isEqualTo(200);
        assertThat(ip.dontFragment()).isFalse();
        assertThat(ip.identification()).isEqualTo(0xFFFF);
        assertThat(ip.protocol()).isEqualTo(EtherType.PROTOCOL_UDP);
        assertThat(ip.source()).isEqualTo(0xc0000201L);
        assertThat(ip.destination()).isEqualTo(0xc0000202L);
        assertThat(ip.totalLength()).isEqualTo(20 + 8 + 8 + INNER.length);
        assertThat(ip.checksumValid()).isTrue();
        assertThat(view.udp().length()).isEqualTo(8 + 8 + INNER.length);
        assertThat(view.udp().destinationPort()).isEqualTo(6081);
        assertThat(view.udpChecksumValid()).isTrue();
        // the IPv4 ID advances per frame and wraps at 16 bits
        assertThat(encap(tunnel, INNER, 6081).ipv4().identification()).isZero();
        assertThat(encap(tunnel, INNER, 6081).ipv4().identification()).isEqualTo(1);
    }

    @Test
    void ipv6OuterHeaderFields() throws Exception {
        GeneveTunnel tunnel = v6().trafficClass(46, 1).ttl(1).flowLabel(0xABCDE).build();
        assertThat(tunnel.ipVersion()).isEqualTo(IpVersion.IPV6);
        GeneveFrameView view = encap(tunnel, INNER, 6081);
        assertThat(view.ipVersion()).isEqualTo(IpVersion.IPV6);
        var ip = view.ipv6();
        assertThat(ip.trafficClass()).isEqualTo(46 << 2 | 1);
        assertThat(ip.flowLabel()).isEqualTo(0xABCDE);
        assertThat(ip.hopLimit()).isEqualTo(1);
        assertThat(ip.nextHeader()).isEqualTo(EtherType.PROTOCOL_UDP);
        assertThat(ip.payloadLengthField()).isEqualTo(8 + 8 + INNER.length);
        assertThat(view.udpChecksumValid()).isTrue();
        assertThat(view.udp().checksum()).isNotZero();
        assertThat(view.ethernet().etherType()).isEqualTo(EtherType.IPV6);
    }

    @Test
    void vlanTagCarriesIdAndPriorityAndZeroIsATag() throws Exception {
        GeneveFrameView view = encap(v4().vlan(100, 5).build(), INNER, 6081);
        assertThat(view.ethernet().vlanId()).isEqualTo(100);
        assertThat(view.ethernet().vlanPriority()).isEqualTo(5);
        GeneveTunnel zero = v4().vlan(0, 0).build();
        assertThat(zero.overhead()).isEqualTo(18 + 20 + 8 + 8);
        assertThat(zero.ipOverhead()).isEqualTo(20 + 8 + 8);
        view = encap(zero, INNER, 6081);
        assertThat(view.ethernet().tagged()).isTrue();
        assertThat(view.ethernet().vlanId()).isZero();
        assertThat(encap(v4().vlan(4095, 7).build(), INNER, 6081).ethernet().vlanId()).isEqualTo(4095);
    }

    @Test
    void destinationPortAndSourcePortRange() throws Exception {
        GeneveTunnel tunnel = v4().destinationPort(4789).sourcePortRange(5, 5).build();
        GeneveFrameView view = encap(tunnel, INNER, 4789);
        assertThat(view.udp().destinationPort()).isEqualTo(4789);
        assertThat(view.udp().sourcePort()).isEqualTo(5);
        assertThat(tunnel.sourcePort(MemorySegment.ofArray(INNER), 0, INNER.length)).isEqualTo(5);
        assertThat(v4().sourcePortRange(0, 0xFFFF).build()).isNotNull();
    }

    @Test
    void builderRangeChecks() throws Exception {
        GeneveTunnel.Builder b = v4();
        assertThat(b.ttl(1)).isSameAs(b);
        assertThat(b.ttl(255)).isSameAs(b);
        assertThat(b.trafficClass(63, 3)).isSameAs(b);
        assertThat(b.trafficClass(0, 0)).isSameAs(b);
        assertThat(b.flowLabel(0xF_FFFF)).isSameAs(b);
        assertThat(b.firstId(0)).isSameAs(b);
        assertThat(b.destinationPort(0)).isSameAs(b);
        assertThat(b.destinationPort(0xFFFF)).isSameAs(b);
        assertThat(b.dontFragment(true)).isSameAs(b);
        assertThat(b.udpChecksum(true)).isSameAs(b);
        assertThat(b.vlan(0, 0)).isSameAs(b);
        assertThat(b.macs(1, 2)).isSameAs(b);
        assertThat(b.sourcePortRange(7, 7)).isSameAs(b);
        String[][] bad = {
            {"TTL 0 out of range (expected: 1..255)"}, {"TTL 256 out of range (expected: 1..255)"},
            {"DSCP 64 out of range (expected: 0..63)"}, {"ECN 4 out of range (expected: 0..3)"},
            {"DSCP -1 out of range (expected: 0..63)"}, {"flow label 1048576 out of range (expected: 0..1048575)"},
            {"IPv4 ID 65536 out of range (expected: 0..65535)"}, {"port 65536 out of range (expected: 0..65535)"},
            {"VLAN ID 4096 out of range (expected: 0..4095)"}, {"VLAN priority 8 out of range (expected: 0..7)"},
            {"port 9 out of range (expected: 10..65535)"}, {"port -1 out of range (expected: 0..65535)"},
        };
        Runnable[] calls = {
            () -> b.ttl(0), () -> b.ttl(256), () -> b.trafficClass(64, 0), () -> b.trafficClass(0, 4),
            () -> b.trafficClass(-1, 0), () -> b.flowLabel(0x10_0000), () -> b.firstId(0x1_0000),
            () -> b.destinationPort(0x1_0000), () -> b.vlan(4096, 0), () -> b.vlan(0, 8),
            () -> b.sourcePortRange(10, 9), () -> b.sourcePortRange(-1, 9),
        };
        for (int i = 0; i < calls.length; i++) {
            assertThatThrownBy(calls[i]::run).isInstanceOf(IllegalArgumentException.class).hasMessage(bad[i][0]);
        }
        assertThatThrownBy(() -> b.addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("different families");
        assertThatThrownBy(() -> GeneveTunnel.builder().header(GeneveHeader.of(ProtocolType.ETHERNET, 1)).build())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aComputedUdpChecksumOfZeroIsSentAsFfff() throws Exception {
        // RFC 768: a computed checksum of 0 is transmitted as all ones (0 means "none")
        byte[] inner = INNER.clone();
        int c = encap(v4().build(), inner, 6081).udp().checksum();
        // adding c to one 16-bit word (the inner frame starts at an even offset of the UDP datagram)
        // makes the one's complement sum 0xFFFF, so the computed checksum is 0
        int word = inner.length - 2;
        int old = ((inner[word] & 0xFF) << 8) | (inner[word + 1] & 0xFF);
        int sum = old + c;
        sum = (sum & 0xFFFF) + (sum >>> 16);
        inner[word] = (byte) (sum >>> 8);
        inner[word + 1] = (byte) sum;
        GeneveFrameView view = encap(v4().build(), inner, 6081);
        assertThat(view.udp().checksum()).isEqualTo(0xFFFF);
        assertThat(view.udpChecksumValid()).isTrue();
    }

    @Test
    void udpChecksumEqualsAnIndependentComputationAndCatchesCorruption() throws Exception {
        for (GeneveTunnel tunnel : new GeneveTunnel[] {v4().build(), v6().build()}) {
            GeneveFrameView view = encap(tunnel, INNER, 6081);
            long udp = view.udp().offset();
            MemorySegment whole = view.geneve().segment();
            long pseudo = tunnel.ipVersion() == IpVersion.IPV4
                    ? InternetChecksum.pseudoHeaderIpv4(view.ipv4().source(), view.ipv4().destination(), 17, view.udp().length())
                    : InternetChecksum.pseudoHeaderIpv6(whole, view.ipv6().sourceOffset(), 17, view.udp().length());
            assertThat(InternetChecksum.fold(pseudo + InternetChecksum.sum(whole, udp, view.udp().length()))).isEqualTo(0xFFFF);
            long payloadByte = view.innerOffset() + 60;
            Wire.putU8(whole, payloadByte, Wire.u8(whole, payloadByte) ^ 0x10);
            assertThat(view.udpChecksumValid()).isFalse();
        }
    }

    @Test
    void zeroUdpChecksumOverIpv6WhenConfigured() throws Exception {
        GeneveTunnel tunnel = v6().udpChecksum(false).build();
        assertThat(tunnel.udpChecksum()).isFalse();
        GeneveFrameView view = encap(tunnel, INNER, 6081);
        assertThat(view.udp().checksum()).isZero();
        assertThat(view.udpChecksumValid()).isTrue();
    }

    @Test
    void encapsulationBoundsChecks() throws Exception {
        GeneveTunnel tunnel = v4().build();
        int overhead = tunnel.overhead();
        // in place: exactly the headroom needed; the inner frame must lie in the segment
        MemorySegment s = MemorySegment.ofArray(new byte[overhead + INNER.length]);
        MemorySegment.copy(MemorySegment.ofArray(INNER), 0, s, overhead, INNER.length);
        assertThat(tunnel.encapsulate(s, overhead, INNER.length)).isZero();
        assertThatThrownBy(() -> tunnel.encapsulate(s, overhead - 1, INNER.length))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("headroom of 49 bytes (needed: 50)");
        assertThatThrownBy(() -> tunnel.encapsulate(s, overhead, INNER.length + 1)).isInstanceOf(IllegalArgumentException.class);
        // into a target: exactly the size needed, not one byte less, and the inner frame must exist
        MemorySegment inner = MemorySegment.ofArray(INNER);
        assertThat(tunnel.encapsulate(inner, 0, INNER.length, MemorySegment.ofArray(new byte[overhead + INNER.length]), 0))
                .isEqualTo(overhead + INNER.length);
        assertThatThrownBy(() -> tunnel.encapsulate(inner, 0, INNER.length,
                MemorySegment.ofArray(new byte[overhead + INNER.length - 1]), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tunnel.encapsulate(inner, 1, INNER.length,
                MemorySegment.ofArray(new byte[overhead + INNER.length + 1]), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOuterIpv6UdpDatagramMayBe65535BytesAndNoMore() throws Exception {
        GeneveTunnel tunnel = v6().build();
        MemorySegment s = MemorySegment.ofArray(new byte[70_000]);
        long innerLength = 0xFFFF - 8 - 8;
        assertThat(tunnel.writeHeaders(s, 0, innerLength, 1234, 0)).isEqualTo(tunnel.overhead());
        assertThat(Wire.u16(s, 14 + 4)).as("IPv6 Payload Length").isEqualTo(0xFFFF);
        assertThat(Wire.u16(s, 14 + 40 + 4)).as("UDP Length").isEqualTo(0xFFFF);
        assertThat(Wire.u16(s, 14 + 40)).isEqualTo(1234);
        assertThatThrownBy(() -> tunnel.writeHeaders(s, 0, innerLength + 1, 1234, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("outer UDP datagram of 65536 bytes (expected: at most 65535); segment the inner frame first");
    }

    @Test
    void theOuterIpv4PacketMayBe65535BytesAndNoMore() throws Exception {
        // Total Length counts the IPv4 header: the UDP datagram may be 65515 bytes. Before the fix a
        // 65516..65535-byte datagram was sent with Total Length modulo 65536 (0..19).
        GeneveTunnel tunnel = v4().build();
        MemorySegment s = MemorySegment.ofArray(new byte[70_000]);
        long innerLength = 0xFFFF - 20 - 8 - 8;
        assertThat(tunnel.writeHeaders(s, 0, innerLength, 1234, 0)).isEqualTo(tunnel.overhead());
        assertThat(Wire.u16(s, 14 + 2)).as("IPv4 Total Length").isEqualTo(0xFFFF);
        assertThat(Wire.u16(s, 14 + 20 + 4)).as("UDP Length").isEqualTo(0xFFFF - 20);
        assertThatThrownBy(() -> tunnel.writeHeaders(s, 0, innerLength + 1, 1234, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("outer IPv4 packet of 65536 bytes (expected: at most 65535); segment the inner frame first");
        MemorySegment big = MemorySegment.ofArray(new byte[tunnel.overhead() + 65_500]);
        assertThatThrownBy(() -> tunnel.encapsulate(big, tunnel.overhead(), 65_500))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outer IPv4 packet of 65536 bytes");
    }

    @Test
    void overheadArithmeticBoundaries() {
        assertThat(TunnelOverhead.ipOverhead(IpVersion.IPV4, 252)).isEqualTo(20 + 8 + 8 + 252);
        assertThat(TunnelOverhead.ipOverhead(IpVersion.IPV6, 0)).isEqualTo(56);
        assertThat(TunnelOverhead.frameOverhead(IpVersion.IPV6, false, 4)).isEqualTo(14 + 60);
        for (int bad : new int[] {-4, 256, 2}) {
            assertThatThrownBy(() -> TunnelOverhead.ipOverhead(IpVersion.IPV4, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("options length " + bad + " (expected: a multiple of 4 in 0..252)");
        }
        // one byte left is an inner MTU; none is not
        assertThat(TunnelOverhead.innerMtu(37, IpVersion.IPV4, 0, false)).isEqualTo(1);
        assertThat(TunnelOverhead.innerMtu(51, IpVersion.IPV4, 0, true)).isEqualTo(1);
        assertThatThrownBy(() -> TunnelOverhead.innerMtu(36, IpVersion.IPV4, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("outer MTU 36 leaves no room for an inner packet");
        assertThatThrownBy(() -> TunnelOverhead.innerMtu(50, IpVersion.IPV4, 0, true)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- GeneveFrameView: every check, its reason and its offset from the frame's first byte ----

    private static MemorySegment frameAt5(GeneveTunnel tunnel, byte[] inner) {
        MemorySegment s = MemorySegment.ofArray(new byte[5 + tunnel.overhead() + inner.length]);
        tunnel.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, s, 5);
        return s;
    }

    private static void assertRefused(MemorySegment s, Reason reason, long offset, String message) {
        assertThatThrownBy(() -> new GeneveFrameView().wrap(s, 5, s.byteSize() - 5))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.offset()).isEqualTo(offset);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void frameViewRefusesWhatIsNotGeneveWithTheOffsetOfTheField() throws Exception {
        GeneveTunnel tunnel = v4().build();
        MemorySegment arp = frameAt5(tunnel, INNER);
        Wire.putU16(arp, 5 + 12, EtherType.ARP);
        assertRefused(arp, Reason.NOT_GENEVE, 12, "EtherType 0x0806 (expected: IPv4 or IPv6)");
        MemorySegment taggedArp = frameAt5(v4().vlan(1, 0).build(), INNER);
        Wire.putU16(taggedArp, 5 + 16, EtherType.ARP);
        assertRefused(taggedArp, Reason.NOT_GENEVE, 16, "EtherType 0x0806");
        MemorySegment tcp = frameAt5(tunnel, INNER);
        Wire.putU8(tcp, 5 + 14 + 9, EtherType.PROTOCOL_TCP);
        assertRefused(tcp, Reason.NOT_GENEVE, 34, "IP protocol 6 (expected: 17, UDP)");
        MemorySegment v6tcp = frameAt5(v6().build(), INNER);
        Wire.putU8(v6tcp, 5 + 14 + 6, EtherType.PROTOCOL_TCP);
        assertRefused(v6tcp, Reason.NOT_GENEVE, 54, "IP protocol 6");
        MemorySegment vxlan = frameAt5(tunnel, INNER);
        Wire.putU16(vxlan, 5 + 34 + 2, 4789);
        assertRefused(vxlan, Reason.NOT_GENEVE, 36, "UDP destination port 4789 (expected: 6081)");
        // RFC 8926 §4.1.1 wants no fragmentation; a fragment is not decapsulated
        for (int fragment : new int[] {0x2000, 0x0001}) {
            MemorySegment f = frameAt5(tunnel, INNER);
            Wire.putU16(f, 5 + 14 + 6, fragment);
            assertRefused(f, Reason.FRAGMENT, 14 + 6, "IPv4 fragment");
        }
        // the same frame untouched is accepted
        assertThat(new GeneveFrameView().wrap(frameAt5(tunnel, INNER), 5, tunnel.overhead() + INNER.length).udp().offset())
                .isEqualTo(5 + 34);
    }

    @Test
    void frameViewGeneveHeaderMustFitTheUdpPayload() throws Exception {
        GeneveTunnel tunnel = GeneveTunnelTest.builder(IpVersion.IPV4, true).build();
        int geneve = tunnel.header().encodedLength();
        // no inner frame at all: the Geneve header fills the UDP payload exactly
        MemorySegment empty = frameAt5(tunnel, new byte[0]);
        GeneveFrameView view = new GeneveFrameView().wrap(empty, 5, tunnel.overhead());
        assertThat(view.innerOffset()).isEqualTo(5 + tunnel.overhead());
        assertThat(view.innerLength()).isZero();
        // a UDP length that stops inside the options
        MemorySegment cut = frameAt5(tunnel, INNER);
        Wire.putU16(cut, 5 + 34 + 4, 8 + geneve - 4);
        // (the Geneve view's offset, where the bytes ran out, moved to the frame's origin: 42 + its own)
        assertRefused(cut, Reason.TRUNCATED, 42 + geneve - 4, "Geneve header truncated: " + (geneve - 4)
                + " bytes, but Opt Len " + (geneve - 8) / 4 + " announces " + geneve + " bytes (Geneve header at frame offset 42)");
        // a UDP length that stops after the header: the inner frame is what is left, padding excluded
        MemorySegment shorter = frameAt5(tunnel, INNER);
        Wire.putU16(shorter, 5 + 34 + 4, 8 + geneve + 10);
        assertThat(new GeneveFrameView().wrap(shorter, 5, shorter.byteSize() - 5).innerLength()).isEqualTo(10);
    }
}
