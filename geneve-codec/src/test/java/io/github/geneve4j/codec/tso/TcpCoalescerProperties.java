package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.Property;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TcpCoalescerProperties {

    record Case(IpVersion outer, IpVersion inner, boolean geneveOptions, int tcpOptions, int payload, int mss, int flags) {
    }

    @Test
    void coalescingSegmentsGivesBackTheInnerFrame() {
        Gen<Case> cases = s -> new Case(s.bool() ? IpVersion.IPV6 : IpVersion.IPV4, s.bool() ? IpVersion.IPV6 : IpVersion.IPV4,
                s.bool(), s.choice(11) * 4, s.between(0, 70_000), s.between(500, 1448),
                TcpView.ACK | (s.bool() ? TcpView.PSH : 0) | (s.bool() ? TcpView.FIN : 0) | (s.bool() ? TcpView.CWR : 0));
        Property.forAll("coalesce(segment(f)) == f", 60, cases, c -> {
            try {
                GeneveTunnel tunnel = TcpSegmenterTest.tunnel(c.outer(), c.geneveOptions(), true);
                byte[] inner = TestFrames.tcp(c.inner(), false, c.tcpOptions(), TestFrames.payload(c.payload(), 3),
                        c.flags(), 1234567, 77);
                List<byte[]> frames = new ArrayList<>();
                new TcpSegmenter(tunnel, c.mss(), 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                        (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
                TcpCoalescer gro = new TcpCoalescer(300_000);
                for (byte[] f : frames) {
                    assertThat(gro.add(MemorySegment.ofArray(f), 0, f.length)).isTrue();
                }
                byte[] out = new byte[inner.length];
                assertThat(gro.finish(MemorySegment.ofArray(out), 0)).isEqualTo(inner.length);
                assertThat(out).isEqualTo(inner);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void datagramsAsASocketReceivesThemCoalesceLikeWholeFrames() {
        Gen<Case> cases = s -> new Case(s.bool() ? IpVersion.IPV6 : IpVersion.IPV4, s.bool() ? IpVersion.IPV6 : IpVersion.IPV4,
                s.bool(), s.choice(11) * 4, s.between(1, 70_000), s.between(500, 1448),
                TcpView.ACK | (s.bool() ? TcpView.PSH : 0));
        Property.forAll("addDatagram == add, and a partial checksum is the pseudo-header sum", 40, cases, c -> {
            try {
                GeneveTunnel tunnel = TcpSegmenterTest.tunnel(c.outer(), c.geneveOptions(), true);
                byte[] inner = TestFrames.tcp(c.inner(), false, c.tcpOptions(), TestFrames.payload(c.payload(), 5),
                        c.flags(), 0xFFFF_F000L, 9);
                List<byte[]> frames = new ArrayList<>();
                new TcpSegmenter(tunnel, c.mss(), 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                        (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
                TcpCoalescer gro = new TcpCoalescer(300_000);
                GeneveFrameView view = new GeneveFrameView();
                for (byte[] f : frames) {
                    view.wrap(MemorySegment.ofArray(f), 0, f.length);
                    int g = (int) view.geneve().offset();
                    // the datagram sits at offset 3 of a larger buffer with bytes after it
                    byte[] buffer = new byte[3 + f.length - g + 50];
                    System.arraycopy(f, g, buffer, 3, f.length - g);
                    java.util.Arrays.fill(buffer, 3 + f.length - g, buffer.length, (byte) 0x5A);
                    assertThat(gro.addDatagram(MemorySegment.ofArray(buffer), 3, f.length - g)).isTrue();
                }
                int tcpAt = 14 + c.inner().headerLength();
                assertThat(gro.frameCount()).isEqualTo(frames.size());
                assertThat(gro.checksumStart()).isEqualTo(tcpAt);
                assertThat(gro.headerLength()).isEqualTo(tcpAt + 20 + c.tcpOptions());
                assertThat(gro.segmentSize()).isEqualTo(Math.min(c.mss(), c.payload()));
                assertThat(gro.ipVersion()).isEqualTo(c.inner());
                byte[] out = new byte[inner.length];
                assertThat(gro.finish(MemorySegment.ofArray(out), 0, true)).isEqualTo(inner.length);
                // all but the TCP checksum as the original; the checksum field holds the pseudo-header sum
                MemorySegment o = MemorySegment.ofArray(out);
                long tcpLength = inner.length - tcpAt;
                long pseudo = c.inner() == IpVersion.IPV4
                        ? InternetChecksum.pseudoHeaderIpv4(Wire.u32(o, 14 + 12), Wire.u32(o, 14 + 16), 6, tcpLength)
                        : InternetChecksum.pseudoHeaderIpv6(o, 14 + 8, 6, tcpLength);
                assertThat(Wire.u16(o, tcpAt + 16)).isEqualTo(InternetChecksum.fold(pseudo));
                Wire.putU16(o, tcpAt + 16, Wire.u16(MemorySegment.ofArray(inner), tcpAt + 16));
                assertThat(out).isEqualTo(inner);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void aDatagramShorterThanItsGeneveHeaderIsTruncated() throws Exception {
        GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV4, true, true);
        byte[] f = encap(tunnel, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 1, 1));
        int g = tunnel.overhead() - tunnel.header().encodedLength();
        TcpCoalescer gro = new TcpCoalescer(10_000);
        MemorySegment s = MemorySegment.ofArray(f);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gro.addDatagram(s, g, tunnel.header().encodedLength() - 4))
                .isInstanceOfSatisfying(GeneveFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gro.addDatagram(s, g, f.length))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("datagram");
        // a Geneve header and nothing behind it: the inner frame is what is cut short
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gro.addDatagram(s, g, tunnel.header().encodedLength()))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED);
                    assertThat(e.getMessage()).doesNotContain("Geneve header of");
                });
        assertThat(gro.frameCount()).isZero();
        assertThat(gro.ipVersion()).as("before any add").isNull();
        assertThat(gro.headerLength()).isZero();
        assertThat(gro.addDatagram(s, g, f.length - g)).isTrue();
        assertThat(gro.segmentSize()).isEqualTo(100);
        // a datagram that does not follow on (a sequence gap) is refused, and changes nothing
        byte[] gap = encap(tunnel, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 5000, 2));
        assertThat(gro.addDatagram(MemorySegment.ofArray(gap), g, gap.length - g)).isFalse();
        assertThat(gro.frameCount()).isEqualTo(1);
    }

    @Test
    void doesNotMergeOtherFlowsOrOtherOptions() throws Exception {
        byte[] a = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 1, 1);
        byte[] b = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 101, 2);
        GeneveTunnel plain = TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true);
        GeneveTunnel withOptions = TcpSegmenterTest.tunnel(IpVersion.IPV4, true, true);
        byte[] fa = encap(plain, a);
        byte[] fb = encap(withOptions, b);
        TcpCoalescer gro = new TcpCoalescer(10_000);
        assertThat(gro.add(MemorySegment.ofArray(fa), 0, fa.length)).isTrue();
        assertThat(gro.add(MemorySegment.ofArray(fb), 0, fb.length)).isFalse();
        byte[] c = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 999, 2); // a gap
        byte[] fc = encap(plain, c);
        assertThat(gro.add(MemorySegment.ofArray(fc), 0, fc.length)).isFalse();
        byte[] fd = encap(plain, b);
        assertThat(gro.add(MemorySegment.ofArray(fd), 0, fd.length)).isTrue();
    }

    @Test
    void neverMergesSegmentsWithoutPayloadNorOnesLongerThanTheFirst() throws Exception {
        GeneveTunnel plain = TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true);
        // two duplicate ACKs: equal headers, same sequence number, consecutive IDs
        byte[] ack1 = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[0], TcpView.ACK, 500, 1));
        byte[] ack2 = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[0], TcpView.ACK, 500, 2));
        TcpCoalescer gro = new TcpCoalescer(10_000);
        assertThat(gro.add(MemorySegment.ofArray(ack1), 0, ack1.length)).isTrue();
        assertThat(gro.add(MemorySegment.ofArray(ack2), 0, ack2.length)).as("a duplicate ACK stays a packet").isFalse();
        assertThat(gro.frameCount()).isEqualTo(1);
        gro.finish(MemorySegment.ofArray(new byte[10_000]), 0);

        byte[] data = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 500, 3));
        byte[] ack3 = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[0], TcpView.ACK, 600, 4));
        assertThat(gro.add(MemorySegment.ofArray(data), 0, data.length)).isTrue();
        assertThat(gro.add(MemorySegment.ofArray(ack3), 0, ack3.length)).as("nor after data").isFalse();
        byte[] longer = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[101], TcpView.ACK, 600, 4));
        assertThat(gro.add(MemorySegment.ofArray(longer), 0, longer.length)).as("longer than the first").isFalse();
        byte[] same = encap(plain, TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[100], TcpView.ACK, 600, 4));
        assertThat(gro.add(MemorySegment.ofArray(same), 0, same.length)).isTrue();
        assertThat(gro.frameCount()).isEqualTo(2);
    }

    /** The receive hot path of a vtep: adds and a finish per 64 KiB, nothing allocated once warm. */
    @Test
    void coalescingAllocatesNothingPerFrame() throws Exception {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV4, true, true);
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(65_000, 1), TcpView.ACK, 1, 1);
        MemorySegment frames = MemorySegment.ofArray(new byte[120_000]);
        int[] lengths = new int[64];
        int n = new TcpSegmenter(tunnel, 1448, 1500).segment(MemorySegment.ofArray(inner), 0, inner.length, frames, 0, lengths);
        TcpCoalescer gro = new TcpCoalescer(70_000);
        MemorySegment out = MemorySegment.ofArray(new byte[70_000]);
        long sink = coalesceRounds(gro, frames, lengths, n, out, 2_000);
        long before = bean.getCurrentThreadAllocatedBytes();
        sink += coalesceRounds(gro, frames, lengths, n, out, 2_000);
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        assertThat(sink).isEqualTo(4_000L * inner.length);
        // 2,000 rounds of 45 adds: one object per frame or per add would be well over 100 KB
        assertThat(allocated).as("bytes allocated over 2,000 coalesced 64 KiB frames").isLessThan(50_000);
    }

    private static long coalesceRounds(TcpCoalescer gro, MemorySegment frames, int[] lengths, int n, MemorySegment out,
            int rounds) {
        long sink = 0;
        for (int r = 0; r < rounds; r++) {
            long at = 0;
            for (int i = 0; i < n; i++) {
                if (!gro.add(frames, at, lengths[i])) {
                    throw new AssertionError("segment " + i + " not merged");
                }
                at += lengths[i];
            }
            sink += gro.finish(out, 0);
        }
        return sink;
    }

    private static byte[] encap(GeneveTunnel t, byte[] inner) {
        byte[] out = new byte[t.overhead() + inner.length];
        t.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, MemorySegment.ofArray(out), 0);
        return out;
    }
}
