package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TcpSegmenter's limits at their boundaries, its input checks with their offsets, and bare IP input. */
class TcpSegmenterRulesTest {

    private static final int FLAGS = TcpView.ACK | TcpView.PSH;

    private static List<byte[]> segment(TcpSegmenter segmenter, byte[] frame, int offset, int length) {
        List<byte[]> frames = new ArrayList<>();
        int n = segmenter.segment(MemorySegment.ofArray(frame), offset, length,
                (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
        assertThat(frames).hasSize(n);
        return frames;
    }

    private static void assertRefused(TcpSegmenter segmenter, byte[] frame, int offset, int length, Reason reason,
            long at, String message) {
        assertThatThrownBy(() -> segmenter.segment(MemorySegment.ofArray(frame), offset, length, (b, o, l) -> { }))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.offset()).isEqualTo(at);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    /** {@code frame} at offset 7 of a larger array with garbage around it. */
    private static byte[] at7(byte[] frame) {
        byte[] b = new byte[7 + frame.length + 9];
        Arrays.fill(b, (byte) 0x77);
        System.arraycopy(frame, 0, b, 7, frame.length);
        return b;
    }

    @Test
    void constructorLimitsAtTheirBoundaries() throws Exception {
        GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true);
        int minimum = tunnel.ipOverhead() + 20 + 20 + 1;
        TcpSegmenter s = new TcpSegmenter(tunnel, 1, minimum);
        assertThat(s.mss()).isEqualTo(1);
        assertThat(s.mtu()).isEqualTo(minimum);
        assertThat(new TcpSegmenter(tunnel, 65_535, 65_535).mss()).isEqualTo(65_535);
        assertThat(new TcpSegmenter(tunnel, 65_535, 65_535).mtu()).isEqualTo(65_535);
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, 0, 1500)).hasMessage("MSS 0 out of range (expected: 1..65535)");
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, 65_536, 1500)).hasMessage("MSS 65536 out of range (expected: 1..65535)");
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, 1000, minimum - 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("MTU 76 out of range (expected: 77..65535: the tunnel adds 36 bytes to each packet)");
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, 1000, 65_536)).isInstanceOf(IllegalArgumentException.class);
        GeneveTunnel arp = GeneveTunnel.builder()
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(GeneveHeader.of(EtherType.ARP, 1)).build();
        assertThatThrownBy(() -> new TcpSegmenter(arp, 1000, 1500)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Geneve protocol type 0x0806 (expected: 0x6558, 0x0800 or 0x86dd)");
    }

    @Test
    void perFrameSegmentSizeAtItsBoundaries() throws Exception {
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 9000);
        byte[] frame = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(5, 1), FLAGS, 1, 0);
        MemorySegment f = MemorySegment.ofArray(frame);
        assertThat(s.segment(f, 0, frame.length, 1, (b, o, l) -> { })).isEqualTo(5);
        assertThat(s.segment(f, 0, frame.length, 65_535, (b, o, l) -> { })).isEqualTo(1);
        assertThat(s.segment(f, 0, frame.length, 1, MemorySegment.ofArray(new byte[1000]), 0, new int[5])).isEqualTo(5);
    }

    @Test
    void oneByteOfRoomGivesOneBytePerSegmentAndNoneIsRefused() throws Exception {
        GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV6, true, true);
        byte[] frame = TestFrames.tcp(IpVersion.IPV6, true, 12, TestFrames.payload(6, 1), FLAGS, 1, 0);
        int headers = 18 + 40 + 32;
        List<byte[]> frames = segment(new TcpSegmenter(tunnel, 1000, tunnel.ipOverhead() + headers + 1), frame, 0, frame.length);
        assertThat(frames).hasSize(6).allSatisfy(f -> assertThat(f).hasSize(tunnel.overhead() + headers + 1));
        // not bad input but the configuration's limit: an IllegalArgumentException of its own, stackless
        assertThatThrownBy(() -> segment(new TcpSegmenter(tunnel, 1000, tunnel.ipOverhead() + headers), frame, 0,
                frame.length)).isInstanceOfSatisfying(MtuExceededException.class, e -> {
                    assertThat(e).isInstanceOf(IllegalArgumentException.class)
                            .hasMessage("inner headers of 90 bytes plus " + tunnel.ipOverhead()
                                    + " bytes of encapsulation leave no payload within MTU " + (tunnel.ipOverhead() + headers));
                    assertThat(e.headerLength()).isEqualTo(90);
                    assertThat(e.overhead()).isEqualTo(tunnel.ipOverhead());
                    assertThat(e.mtu()).isEqualTo(tunnel.ipOverhead() + headers);
                    assertThat(e.getStackTrace()).isEmpty();
                });
    }

    @Test
    void aFrameAtAnOffsetSegmentsAsAtZero() throws Exception {
        for (IpVersion v : IpVersion.values()) {
            byte[] frame = TestFrames.tcp(v, true, 8, TestFrames.payload(3000, 2), FLAGS | TcpView.CWR, 99, 5);
            List<byte[]> plain = segment(new TcpSegmenter(TcpSegmenterTest.tunnel(v, false, true), 1000, 1500), frame, 0,
                    frame.length);
            List<byte[]> shifted = segment(new TcpSegmenter(TcpSegmenterTest.tunnel(v, false, true), 1000, 1500), at7(frame), 7,
                    frame.length);
            assertThat(shifted).hasSameSizeAs(plain);
            for (int i = 0; i < plain.size(); i++) {
                assertThat(shifted.get(i)).isEqualTo(plain.get(i));
            }
        }
    }

    @Test
    void inputErrorsCountFromTheFrameStart() throws Exception {
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        byte[] v4 = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 1, 0);
        byte[] fragment = v4.clone();
        fragment[14 + 7] = 1;                            // fragment offset 8 bytes
        assertRefused(s, at7(fragment), 7, fragment.length, Reason.FRAGMENT, 20,
                "IPv4 fragment (offset 1, more fragments 0)");
        byte[] udp = v4.clone();
        udp[14 + 9] = 17;
        assertRefused(s, at7(udp), 7, udp.length, Reason.UNSUPPORTED_PROTOCOL, 34, "inner IP protocol 17 (expected: 6, TCP)");
        byte[] arp = v4.clone();
        arp[12] = 8;
        arp[13] = 6;
        assertRefused(s, at7(arp), 7, arp.length, Reason.UNSUPPORTED_PROTOCOL, 12,
                "EtherType 0x0806 (expected: IPv4 or IPv6)");
        // more bytes than the IP length says, in a frame longer than Ethernet's 60-byte minimum
        assertRefused(s, at7(v4), 7, v4.length + 1, Reason.BAD_LENGTH, 16,
                "inner IP packet length 140 disagrees with the 141 bytes the frame carries");
        byte[] v6 = TestFrames.tcp(IpVersion.IPV6, false, 0, new byte[100], TcpView.ACK, 1, 0);
        assertRefused(s, at7(v6), 7, v6.length + 1, Reason.BAD_LENGTH, 18, "inner IP packet length 160");
        byte[] v6udp = v6.clone();
        v6udp[14 + 6] = 17;
        assertRefused(s, at7(v6udp), 7, v6udp.length, Reason.UNSUPPORTED_PROTOCOL, 54, "inner IP protocol 17");
    }

    @Test
    void ethernetPaddingIsDroppedOnlyFromMinimumSizeFrames() throws Exception {
        // a 54-byte pure ACK is padded to Ethernet's 60-byte minimum; the padding is not TCP data
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        for (IpVersion v : IpVersion.values()) {
            byte[] ack = TestFrames.tcp(v, false, 0, new byte[0], TcpView.ACK, 1, 0);
            byte[] padded = Arrays.copyOf(ack, Math.max(60, ack.length + 1));
            int length = padded.length;
            if (length == 60) {
                List<byte[]> frames = segment(s, padded, 0, 60);
                assertThat(frames).singleElement().satisfies(f ->
                        assertThat(Arrays.copyOfRange(f, f.length - ack.length, f.length)).isEqualTo(ack));
                assertThat(frames.getFirst()).hasSize(50 + ack.length);
            }
            byte[] longer = Arrays.copyOf(ack, Math.max(61, ack.length + 1));
            assertRefused(s, longer, 0, longer.length, Reason.BAD_LENGTH, v == IpVersion.IPV4 ? 16 : 18, "disagrees");
        }
    }

    @Test
    void bareIpPacketsWhenTheProtocolTypeIsIp() throws Exception {
        for (IpVersion v : IpVersion.values()) {
            GeneveTunnel tunnel = GeneveTunnel.builder()
                    .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                    .header(GeneveHeader.of(v.etherType(), 77)).build();
            byte[] eth = TestFrames.tcp(v, false, 12, TestFrames.payload(5000, 4), FLAGS, 0xFFFF_FF00L, 0xFFFF);
            byte[] packet = Arrays.copyOfRange(eth, 14, eth.length);
            List<byte[]> frames = segment(new TcpSegmenter(tunnel, 1400, 1500), at7(packet), 7, packet.length);
            assertThat(frames).hasSize(4);
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            long seq = 0xFFFF_FF00L;
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                GeneveFrameView view = new GeneveFrameView().wrap(MemorySegment.ofArray(f), 0, f.length);
                assertThat(view.geneve().protocolType()).isEqualTo(v.etherType());
                assertThat(f.length - 14).isLessThanOrEqualTo(1500);
                MemorySegment s = MemorySegment.ofArray(f);
                long tcpAt;
                long tcpLength;
                long pseudo;
                if (v == IpVersion.IPV4) {
                    Ipv4View ip = new Ipv4View().wrap(s, view.innerOffset(), view.innerLength());
                    assertThat(ip.checksumValid()).isTrue();
                    assertThat(ip.identification()).isEqualTo((0xFFFF + i) & 0xFFFF);
                    assertThat(ip.packetLength()).isEqualTo(view.innerLength());
                    tcpAt = ip.payloadOffset();
                    tcpLength = ip.payloadLength();
                    pseudo = ip.pseudoHeaderSum(6, tcpLength);
                } else {
                    Ipv6View ip = new Ipv6View().wrap(s, view.innerOffset(), view.innerLength());
                    assertThat(ip.packetLength()).isEqualTo(view.innerLength());
                    tcpAt = ip.upperLayerOffset();
                    tcpLength = ip.upperLayerLength();
                    pseudo = ip.pseudoHeaderSum(6, tcpLength);
                }
                TcpView tcp = new TcpView().wrap(s, tcpAt, tcpLength);
                assertThat(tcp.checksumValid(pseudo)).isTrue();
                assertThat(tcp.sequence()).isEqualTo(seq & 0xFFFF_FFFFL);
                assertThat(tcp.psh()).isEqualTo(i == frames.size() - 1);
                assertThat(view.udpChecksumValid()).isTrue();
                seq += tcp.payloadLength();
                payload.write(f, (int) tcp.payloadOffset(), (int) tcp.payloadLength());
            }
            assertThat(payload.toByteArray()).isEqualTo(TestFrames.payload(5000, 4));
            // the packet must lie in the segment
            TcpSegmenter s = new TcpSegmenter(tunnel, 1400, 1500);
            assertThatThrownBy(() -> s.segment(MemorySegment.ofArray(packet), 1, packet.length, (b, o, l) -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("frame too small");
        }
    }

    @Test
    void targetModeNeedsExactlyTheRoomOfItsFrames() throws Exception {
        byte[] frame = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(2500, 1), FLAGS, 1, 0);
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        int headers = 54;
        int needed = 3 * (50 + headers) + 2500;
        int[] lengths = new int[3];
        assertThat(s.segment(MemorySegment.ofArray(frame), 0, frame.length, MemorySegment.ofArray(new byte[needed]), 0, lengths))
                .isEqualTo(3);
        assertThat(lengths).containsExactly(50 + headers + 1000, 50 + headers + 1000, 50 + headers + 500);
        byte[] small = new byte[needed - 1 + 4];
        assertThatThrownBy(() -> s.segment(MemorySegment.ofArray(frame), 0, frame.length, MemorySegment.ofArray(small), 4,
                new int[3])).isInstanceOf(IllegalArgumentException.class);
        assertThat(small).as("nothing written").containsOnly(0);
        assertThatThrownBy(() -> s.segment(MemorySegment.ofArray(frame), 0, frame.length,
                MemorySegment.ofArray(new byte[needed]), 0, new int[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("frameLengths has room for 2 frames (needed: 3)");
    }

    @Test
    void theScratchBufferIsReusedOnceLargeEnough() throws Exception {
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        byte[] frame = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(2500, 1), FLAGS, 1, 0);
        List<MemorySegment> buffers = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            s.segment(MemorySegment.ofArray(frame), 0, frame.length, (b, o, l) -> buffers.add(b));
        }
        // a smaller frame afterwards reuses it too
        byte[] smaller = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(10, 1), FLAGS, 1, 0);
        s.segment(MemorySegment.ofArray(smaller), 0, smaller.length, (b, o, l) -> buffers.add(b));
        assertThat(buffers).hasSize(7).allSatisfy(b -> assertThat(b).isSameAs(buffers.getFirst()));
        assertThat(buffers.getFirst().byteSize()).isEqualTo(50 + 54 + 1000);
    }

    @Test
    void aFrameWriterMayThrowIoExceptionAndStopsTheFramesAfterIt() throws Exception {
        TcpSegmenter s = new TcpSegmenter(TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true), 1000, 1500);
        byte[] frame = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[3500], TcpView.ACK, 1, 0);
        java.util.List<Integer> written = new java.util.ArrayList<>();
        TcpSegmenter.FrameWriter<java.io.IOException> disk = (buffer, offset, length) -> {
            if (written.size() == 2) {
                throw new java.io.IOException("disk full");
            }
            written.add(length);
        };
        assertThatThrownBy(() -> s.segment(MemorySegment.ofArray(frame), 0, frame.length, disk))
                .isInstanceOf(java.io.IOException.class).hasMessage("disk full");
        assertThat(written).hasSize(2);
        // a lambda that throws nothing checked needs no try: segment() then throws no checked exception
        int[] frames = {0};
        assertThat(s.segment(MemorySegment.ofArray(frame), 0, frame.length, (b, o, l) -> frames[0]++)).isEqualTo(4);
        assertThat(frames[0]).isEqualTo(4);
    }
}
