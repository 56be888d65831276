package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
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

    private static byte[] encap(GeneveTunnel t, byte[] inner) {
        byte[] out = new byte[t.overhead() + inner.length];
        t.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, MemorySegment.ofArray(out), 0);
        return out;
    }
}
