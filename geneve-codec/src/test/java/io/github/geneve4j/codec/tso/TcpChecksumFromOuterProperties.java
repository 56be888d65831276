package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.net.UdpView;
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

/**
 * {@link TcpCoalescer#add} decides the inner TCP checksum from a verified non-zero outer UDP
 * checksum and the headers alone: it must agree with a full pass over the TCP segment on every
 * frame, intact or corrupted, with the outer checksum present, absent or fixed up after the damage.
 */
class TcpChecksumFromOuterProperties {

    /** What happens to one frame on the way: nothing, a byte flipped (outer checksum left, fixed, or zeroed). */
    enum Damage { NONE, FLIP, FLIP_FIX_OUTER, FLIP_ZERO_OUTER, CHECKSUM_FIELD_FIX_OUTER }

    record Case(IpVersion outer, IpVersion inner, boolean options, boolean outerChecksum, int tcpOptions, int payload,
            int mss, int pick, int padding, Damage damage, int where, int mask) {
    }

    @Test
    void theTcpChecksumDecidedFromTheOuterSumIsTheFullPasssVerdict() {
        Gen<Case> cases = s -> new Case(s.bool() ? IpVersion.IPV6 : IpVersion.IPV4, s.bool() ? IpVersion.IPV6 : IpVersion.IPV4,
                s.bool(), !s.bool(), s.choice(11) * 4, s.between(1, 9000), s.between(1, 1448), s.between(0, 1000),
                s.bool() ? 0 : s.between(1, 7), Damage.values()[s.choice(Damage.values().length)], s.between(0, 1 << 20), s.between(1, 255));
        int[] verdicts = new int[2];
        Property.forAll("add's TCP checksum verdict == the full pass's", 400, cases, c -> {
            try {
                GeneveTunnel tunnel = TcpSegmenterTest.tunnel(c.outer(), c.options(), c.outerChecksum());
                byte[] inner = TestFrames.tcp(c.inner(), false, c.tcpOptions(), TestFrames.payload(c.payload(), 7),
                        TcpView.ACK, 4242, 1);
                List<byte[]> frames = new ArrayList<>();
                new TcpSegmenter(tunnel, c.mss(), 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                        (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
                byte[] f = padded(frames.get(c.pick() % frames.size()), c.padding(), c.outer(), c.outerChecksum());
                MemorySegment frame = MemorySegment.ofArray(f);
                GeneveFrameView view = new GeneveFrameView().wrap(frame, 0, f.length);
                FrameLocator locator = new FrameLocator().wrap(FrameLocator.Link.ETHERNET, frame, view.innerOffset(),
                        view.innerLength());
                long tcpAt = locator.transportOffset();
                long tcpLength = locator.transportLength();
                UdpView udp = view.udp();
                long udpPseudo = view.locator().pseudoHeaderSum(EtherType.PROTOCOL_UDP, udp.length());
                switch (c.damage()) {
                    case NONE -> { }
                    case CHECKSUM_FIELD_FIX_OUTER -> {
                        flip(f, (int) tcpAt + 16 + (c.where() & 1), c.mask());
                        fixOuter(frame, udp, udpPseudo);
                    }
                    default -> {
                        long at = c.where() % tcpLength;
                        // not the data offset: a damaged header length is refused as malformed before any sum
                        flip(f, (int) (tcpAt + (at == 12 ? 13 : at)), c.mask());
                        if (c.damage() == Damage.FLIP_FIX_OUTER) {
                            fixOuter(frame, udp, udpPseudo);
                        } else if (c.damage() == Damage.FLIP_ZERO_OUTER) {
                            udp.checksum(0);
                        }
                    }
                }
                // the oracle: the outer checksum (0: not computed) and the TCP checksum, each summed in full
                boolean outerValid = udp.checksumValid(udpPseudo);
                long tcpPseudo = locator.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
                boolean tcpValid = new TcpView().wrap(frame, tcpAt, tcpLength).checksumValid(tcpPseudo);
                TcpCoalescer gro = new TcpCoalescer(300_000);
                GeneveFormatException e = catchThrowableOfType(GeneveFormatException.class, () -> gro.add(frame, 0, f.length));
                if (outerValid && tcpValid) {
                    assertThat(e).isNull();
                    assertThat(gro.frameCount()).isEqualTo(1);
                    verdicts[0]++;
                } else {
                    assertThat(e).isNotNull();
                    assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_CHECKSUM);
                    // which checksum is named: the outer one when it fails, else the inner TCP one
                    // (the coalescer's inner offsets count from the inner frame's first byte)
                    assertThat(e.offset()).isEqualTo(outerValid ? tcpAt - view.innerOffset() + 16 : udp.offset() + 6);
                    verdicts[1]++;
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // the cases reach both verdicts
        assertThat(verdicts[0]).isGreaterThan(50);
        assertThat(verdicts[1]).isGreaterThan(50);
    }

    /**
     * The frame with {@code padding} bytes after the inner IP packet (Ethernet padding: summed by
     * the outer checksum, not part of the TCP segment, at an odd offset when the segment's length
     * is odd), the outer lengths and checksums made to cover them.
     */
    private static byte[] padded(byte[] f, int padding, IpVersion outer, boolean outerChecksum) {
        if (padding == 0) {
            return f;
        }
        byte[] p = java.util.Arrays.copyOf(f, f.length + padding);
        for (int i = f.length; i < p.length; i++) {
            p[i] = (byte) (0xA5 + 31 * i);
        }
        MemorySegment frame = MemorySegment.ofArray(p);
        if (outer == IpVersion.IPV4) {
            Wire.putU16(frame, 14 + 2, Wire.u16(frame, 14 + 2) + padding);
            Wire.putU16(frame, 14 + 10, 0);
            Wire.putU16(frame, 14 + 10, InternetChecksum.checksum(frame, 14, 20));
        } else {
            Wire.putU16(frame, 14 + 4, Wire.u16(frame, 14 + 4) + padding);
        }
        int udpAt = 14 + (outer == IpVersion.IPV4 ? 20 : 40);
        Wire.putU16(frame, udpAt + 4, Wire.u16(frame, udpAt + 4) + padding);
        GeneveFrameView view = new GeneveFrameView().wrap(frame, 0, p.length);
        if (outerChecksum) {
            fixOuter(frame, view.udp(), view.locator().pseudoHeaderSum(EtherType.PROTOCOL_UDP, view.udp().length()));
        }
        return p;
    }

    private static void flip(byte[] f, int at, int mask) {
        f[at] ^= (byte) mask;
    }

    /** A checksum made after the damage: what a box that rewrites and re-checksums the datagram sends. */
    private static void fixOuter(MemorySegment frame, UdpView udp, long pseudo) {
        udp.checksum(0);
        int c = InternetChecksum.finish(pseudo + InternetChecksum.sum(frame, udp.offset(), udp.length()));
        udp.checksum(c == 0 ? 0xFFFF : c);
    }
}
