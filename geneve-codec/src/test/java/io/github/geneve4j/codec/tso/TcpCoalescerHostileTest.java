package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a receive path's coalescer must refuse, and at what cost: IP fragments (which Linux's GRO
 * never merges), a merge that the IPv4 Total Length could no longer state, and datagrams that are
 * not mergeable TCP, refused by {@link TcpCoalescer#offerDatagram} with a reason and no allocation.
 */
class TcpCoalescerHostileTest {

    private static final GeneveHeader HEADER = GeneveHeader.of(ProtocolType.ETHERNET, 5000);

    /** The Geneve datagrams (from the Geneve header on) of an inner frame cut at {@code mss}. */
    static List<byte[]> datagrams(byte[] inner, int mss) throws Exception {
        GeneveTunnel tunnel = TcpCoalescerRulesTest.tunnel(IpVersion.IPV4, 50_000, HEADER);
        List<byte[]> frames = new ArrayList<>();
        new TcpSegmenter(tunnel, mss, 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
        List<byte[]> out = new ArrayList<>();
        for (byte[] f : frames) {
            long g = new GeneveFrameView().wrap(MemorySegment.ofArray(f), 0, f.length).geneve().offset();
            out.add(Arrays.copyOfRange(f, (int) g, f.length));
        }
        return out;
    }

    static TcpCoalescer.Offer offer(TcpCoalescer gro, byte[] datagram) {
        return gro.offerDatagram(MemorySegment.ofArray(datagram), 0, datagram.length);
    }

    /** A datagram whose inner IPv4 header is edited at byte {@code at} (from the IP header), its checksum made good. */
    static byte[] ipv4Edited(byte[] datagram, int at, int value16) {
        byte[] d = datagram.clone();
        MemorySegment s = MemorySegment.ofArray(d);
        int ip = 8 + 14;
        Wire.putU16(s, ip + at, value16);
        Wire.putU16(s, ip + 10, 0);
        Wire.putU16(s, ip + 10, io.github.geneve4j.codec.net.InternetChecksum.checksum(s, ip, 20));
        return d;
    }

    @Test
    void ipv4FragmentsAreNeverMergedEvenWithValidChecksums() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3000, 1), TcpView.ACK, 1, 7);
        List<byte[]> d = datagrams(inner, 1000);
        // MF set (DF cleared) on the first two, as in the report: before, they came out as one GSO frame
        byte[] first = ipv4Edited(d.get(0), 6, 0x2000);
        byte[] second = ipv4Edited(d.get(1), 6, 0x2000);
        byte[] offset = ipv4Edited(d.get(2), 6, 0x0010); // a fragment offset, MF clear
        TcpCoalescer gro = new TcpCoalescer(100_000);
        for (byte[] fragment : List.of(first, second, offset)) {
            assertThat(offer(gro, fragment)).isEqualTo(TcpCoalescer.Offer.REFUSED);
            assertThat(gro.refusalReason()).isEqualTo(Reason.FRAGMENT);
            assertThat(gro.frameCount()).isZero();
        }
        assertThatThrownBy(() -> gro.addDatagram(MemorySegment.ofArray(first), 0, first.length))
                .isInstanceOf(GeneveFormatException.class).hasMessageContaining("fragment");
        // the unedited datagrams still merge: the refusals changed nothing
        assertThat(offer(gro, d.get(0))).isEqualTo(TcpCoalescer.Offer.MERGED);
        assertThat(offer(gro, d.get(1))).isEqualTo(TcpCoalescer.Offer.MERGED);
        assertThat(gro.frameCount()).isEqualTo(2);
    }

    @Test
    void anIpv6PacketWithAFragmentHeaderIsNeverMerged() {
        byte[] tcp6 = TestFrames.tcp(IpVersion.IPV6, false, 0, TestFrames.payload(500, 2), TcpView.ACK, 1, 1);
        // insert a Fragment header (next header TCP, offset 0, M set) after the fixed header
        byte[] inner = new byte[tcp6.length + 8];
        System.arraycopy(tcp6, 0, inner, 0, 14 + 40);
        System.arraycopy(tcp6, 14 + 40, inner, 14 + 48, tcp6.length - 54);
        MemorySegment s = MemorySegment.ofArray(inner);
        Wire.putU16(s, 14 + 4, Wire.u16(s, 14 + 4) + 8);
        Wire.putU8(s, 14 + 6, 44);
        Wire.putU8(s, 14 + 40, 6);
        Wire.putU16(s, 14 + 42, 1);
        Wire.putU32(s, 14 + 44, 0x12345678L);
        byte[] datagram = new byte[8 + inner.length];
        HEADER.encode(java.nio.ByteBuffer.wrap(datagram), 0);
        System.arraycopy(inner, 0, datagram, 8, inner.length);
        TcpCoalescer gro = new TcpCoalescer(100_000);
        assertThat(offer(gro, datagram)).isEqualTo(TcpCoalescer.Offer.REFUSED);
        assertThat(gro.refusalReason()).isEqualTo(Reason.FRAGMENT);
        assertThatThrownBy(() -> gro.addDatagram(MemorySegment.ofArray(datagram), 0, datagram.length))
                .isInstanceOfSatisfying(GeneveFormatException.class,
                        e -> assertThat(e.offset()).isEqualTo(14 + 40)); // the Fragment header, from the inner frame
        assertThat(gro.frameCount()).isZero();
    }

    /** 46 segments of 1,400 bytes and a 1,099-byte tail: 65,553 bytes of untagged frame, 65,539 of IPv4. */
    @Test
    void withoutBigTcpAnIpv4MergeStopsWhereTotalLengthCanStateIt() throws Exception {
        int payload = 46 * 1400 + 1099;
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(payload, 3), TcpView.ACK, 1, 7);
        assertThat(inner.length).isEqualTo(65_553);
        List<byte[]> d = datagrams(inner, 1400);
        assertThat(d).hasSize(47);
        TcpCoalescer gro = new TcpCoalescer(65_553, false);
        for (int i = 0; i < 46; i++) {
            assertThat(offer(gro, d.get(i))).as("segment %d", i).isEqualTo(TcpCoalescer.Offer.MERGED);
        }
        assertThat(offer(gro, d.get(46))).isEqualTo(TcpCoalescer.Offer.NOT_NEXT);
        byte[] out = new byte[65_553];
        long n = gro.finish(MemorySegment.ofArray(out), 0);
        assertThat(n).isEqualTo(14 + 20 + 20 + 46 * 1400);
        assertThat(Wire.u16(MemorySegment.ofArray(out), 14 + 2)).as("Total Length").isEqualTo((int) n - 14);
        assertThat(offer(gro, d.get(46))).as("the tail starts the next frame").isEqualTo(TcpCoalescer.Offer.MERGED);

        // with BIG TCP (the default) the whole frame merges, Total Length 0, as Linux's BIG TCP
        TcpCoalescer big = new TcpCoalescer(65_553);
        for (byte[] datagram : d) {
            assertThat(offer(big, datagram)).isEqualTo(TcpCoalescer.Offer.MERGED);
        }
        assertThat(big.finish(MemorySegment.ofArray(out), 0)).isEqualTo(65_553);
        assertThat(Wire.u16(MemorySegment.ofArray(out), 14 + 2)).isZero();
    }

    @Test
    void refusingWhatIsNotMergeableTcpAllocatesNothing() throws Exception {
        var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof com.sun.management.ThreadMXBean b && b.isThreadAllocatedMemorySupported());
        var threads = (com.sun.management.ThreadMXBean) bean;
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(2000, 1), TcpView.ACK, 1, 7);
        List<byte[]> d = datagrams(inner, 1000);
        byte[] badChecksum = d.get(0).clone();
        badChecksum[badChecksum.length - 1] ^= 1;
        byte[] fragment = ipv4Edited(d.get(0), 6, 0x2000);
        byte[] arp = new byte[8 + 42];
        HEADER.encode(java.nio.ByteBuffer.wrap(arp), 0);
        arp[8 + 12] = 0x08;
        arp[8 + 13] = 0x06;
        byte[] truncatedIp = Arrays.copyOf(d.get(0), 8 + 14 + 10);
        byte[] notGeneve = {(byte) 0xC0, 0, 0, 0};
        byte[] ipv4Inside = d.get(0).clone();
        ipv4Inside[2] = 0x08;
        ipv4Inside[3] = 0x00;
        MemorySegment[] refused = Arrays.stream(new byte[][] {badChecksum, fragment, arp, truncatedIp, notGeneve, ipv4Inside})
                .map(MemorySegment::ofArray).toArray(MemorySegment[]::new);
        TcpCoalescer gro = new TcpCoalescer(100_000);
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50_000; i++) {
                MemorySegment s = refused[i % refused.length];
                if (gro.offerDatagram(s, 0, s.byteSize()) == TcpCoalescer.Offer.REFUSED) {
                    sink += gro.refusalReason().ordinal();
                }
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertThat(bytes).as("bytes allocated refusing 50,000 datagrams").isLessThan(10_000);
            }
        }
        assertThat(sink).isPositive();
        assertThat(gro.frameCount()).isZero();
    }
}
