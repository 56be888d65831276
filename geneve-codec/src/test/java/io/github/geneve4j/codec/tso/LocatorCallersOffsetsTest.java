package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The offsets the locator's callers report, each from its documented base, with the frame away
 * from offset 0 of its segment; and the link headers at their exact lengths.
 */
class LocatorCallersOffsetsTest {

    private static final GeneveHeader HEADER = GeneveHeader.of(ProtocolType.ETHERNET, 5000);
    private static final byte[] V4 = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(100, 1), TcpView.ACK, 1, 0);

    private static byte[] at7(byte[] frame) {
        byte[] b = new byte[7 + frame.length + 9];
        Arrays.fill(b, (byte) 0x77);
        System.arraycopy(frame, 0, b, 7, frame.length);
        return b;
    }

    private static GeneveFormatException coalescerRefusal(byte[] inner) {
        byte[] datagram = new byte[3 + HEADER.encodedLength() + inner.length];
        HEADER.encode(ByteBuffer.wrap(datagram), 3);
        System.arraycopy(inner, 0, datagram, 3 + HEADER.encodedLength(), inner.length);
        TcpCoalescer gro = new TcpCoalescer(10_000);
        assertThat(gro.offerDatagram(MemorySegment.ofArray(datagram), 3, datagram.length - 3))
                .isEqualTo(TcpCoalescer.Offer.REFUSED);
        try {
            gro.addDatagram(MemorySegment.ofArray(datagram), 3, datagram.length - 3);
        } catch (GeneveFormatException e) {
            assertThat(e.reason()).isEqualTo(gro.refusalReason());
            return e;
        }
        throw new AssertionError("not refused");
    }

    @Test
    void coalescerRefusalsCountFromTheInnerFrame() {
        byte[] udp = V4.clone();
        udp[14 + 9] = 17;
        assertThat(coalescerRefusal(udp).offset()).isEqualTo(34);
        byte[] badOffset = V4.clone();
        badOffset[34 + 12] = 0x40; // data offset 4 words
        GeneveFormatException e = coalescerRefusal(badOffset);
        assertThat(e.reason()).isEqualTo(Reason.BAD_LENGTH);
        assertThat(e.offset()).isEqualTo(34 + 12);
        byte[] badIpChecksum = V4.clone();
        badIpChecksum[14 + 8] ^= 1; // TTL: outside the TCP pseudo-header
        GeneveFormatException ip = coalescerRefusal(badIpChecksum);
        assertThat(ip.reason()).isEqualTo(Reason.BAD_CHECKSUM);
        assertThat(ip.offset()).isEqualTo(14 + 10);
        byte[] badTcpChecksum = V4.clone();
        badTcpChecksum[34 + 16] ^= 1;
        assertThat(coalescerRefusal(badTcpChecksum).offset()).isEqualTo(34 + 16);
        // a Geneve header claiming more than the datagram: its own view's reason
        assertThat(coalescerRefusal(new byte[0]).reason()).isEqualTo(Reason.TRUNCATED);
    }

    @Test
    void segmenterTcpErrorsCountFromTheFrame() throws Exception {
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        byte[] badOffset = V4.clone();
        badOffset[34 + 12] = 0x40;
        byte[] placed = at7(badOffset);
        assertThatThrownBy(() -> s.segment(MemorySegment.ofArray(placed), 7, badOffset.length, (b, o, l) -> { }))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.BAD_LENGTH);
                    assertThat(e.offset()).isEqualTo(34 + 12);
                    assertThat(e.getMessage()).contains("inner TCP data offset 4");
                });
    }

    @Test
    void aBareIpTunnelRefusesThePacketOfTheOtherVersion() throws Exception {
        GeneveTunnel v4Only = SegmentCursorTest.tunnel(IpVersion.IPV4, true, true, false, ProtocolType.IPV4);
        byte[] v6 = TestFrames.tcp(IpVersion.IPV6, false, 0, new byte[10], TcpView.ACK, 1, 0);
        assertThatThrownBy(() -> new TcpSegmenter(v4Only, 1000, 1500)
                .segment(MemorySegment.ofArray(v6), 14, v6.length - 14, (b, o, l) -> { }))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_PROTOCOL);
                    assertThat(e.getMessage()).contains("inner IP version 6 (expected: the tunnel's protocol type 0x0800)");
                });
        GeneveTunnel v6Only = SegmentCursorTest.tunnel(IpVersion.IPV4, true, true, false, ProtocolType.IPV6);
        assertThatThrownBy(() -> new TcpSegmenter(v6Only, 1000, 1500)
                .segment(MemorySegment.ofArray(V4), 14, V4.length - 14, (b, o, l) -> { }))
                .hasMessageContaining("inner IP version 4");
    }

    @Test
    void linkHeadersAtTheirExactLengths() {
        FrameLocator at = new FrameLocator();
        String macs = "020000000002 020000000001";
        // exactly the link header: the link is read, the IP layer is what is missing
        for (Object[] c : new Object[][] {{FrameLocator.Link.ETHERNET, macs + " 0800", 14L},
                {FrameLocator.Link.ETHERNET, macs + " 8100 0064 0800", 18L},
                {FrameLocator.Link.LINUX_SLL, "0000 0001 0006 020000000001 0000 0800", 16L},
                {FrameLocator.Link.LINUX_SLL2, "0800 0000 00000002 0001 00 06 020000000001 0000", 20L}}) {
            byte[] b = Hex.bytes((String) c[1]);
            assertThat(at.tryWrap((FrameLocator.Link) c[0], MemorySegment.ofArray(b), 0, b.length)).isFalse();
            assertThat(at.errorReason()).as("%s", c[0]).isEqualTo(Reason.TRUNCATED);
            assertThat(at.errorOffset()).as("%s", c[0]).isEqualTo(c[2]);
            assertThat(at.errorMessage()).contains("IPv4 packet of 0 bytes");
            assertThatThrownBy(at::ipVersion).isInstanceOf(IllegalStateException.class);
            // one byte less: the link header itself is cut
            assertThat(at.tryWrap((FrameLocator.Link) c[0], MemorySegment.ofArray(b), 0, b.length - 1)).isFalse();
            assertThat(at.errorOffset()).as("%s cut", c[0]).isLessThan((long) c[2]);
            assertThat(at.errorMessage()).doesNotContain("IPv4");
        }
    }

    @Test
    void frameViewLayerOffsetsCountFromTheFrameWhereverItSits() {
        String frame = "020000000002 020000000001 0800 45 00 0024 0001 4000 40 11 0000 0a000001 0a000002"
                + " 9c40 17c1 0018 0000 0000655800138800";
        byte[] b = at7(Hex.bytes(frame));
        GeneveFrameView view = new GeneveFrameView();
        assertThat(view.tryWrap(MemorySegment.ofArray(b), 7, b.length - 16)).isFalse();
        assertThat(view.errorReason()).isEqualTo(Reason.BAD_LENGTH);
        assertThat(view.errorOffset()).isEqualTo(34 + 4);
        assertThat(view.errorMessage()).isEqualTo("UDP length 24 (expected: 8..16) (UDP header at frame offset 34)");
        assertThat(view.locator().ipv4().offset()).isEqualTo(7 + 14);
        Wire.putU16(MemorySegment.ofArray(b), 7 + 34 + 4, 16);
        assertThat(view.tryWrap(MemorySegment.ofArray(b), 7, b.length - 16)).isTrue();
        assertThat(view.innerLength()).isZero();
        assertThat(view.errorMessage()).isEqualTo("UDP length 24 (expected: 8..16) (UDP header at frame offset 34)");
        // a Geneve view bounded by a length must stay inside the segment
        assertThatThrownBy(() -> new GeneveView().tryWrap(MemorySegment.ofArray(b), 7, b.length))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
