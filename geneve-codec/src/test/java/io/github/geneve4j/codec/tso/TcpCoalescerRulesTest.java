package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/**
 * The merge rules of TcpCoalescer, each at the field that decides it, as Linux's GRO has them
 * ({@code udp_gro_receive}, {@code geneve_gro_receive}, {@code inet_gro_receive} /
 * {@code ipv6_gro_receive}, {@code tcp_gro_receive}): a frame whose flow or headers differ is not
 * merged, and nothing is merged past the capacity.
 */
class TcpCoalescerRulesTest {

    private static final int MSS = 1000;

    static GeneveTunnel tunnel(IpVersion outer, int port, GeneveHeader header) throws Exception {
        return GeneveTunnel.builder()
                .addresses(InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.1" : "2001:db8::1"),
                        InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.2" : "2001:db8::2"))
                .sourcePortRange(port, port)
                .header(header)
                .udpChecksum(false) // frames the tests edit keep a valid outer UDP checksum (zero)
                .build();
    }

    private static final GeneveHeader PLAIN = GeneveHeader.of(ProtocolType.ETHERNET, 5000,
            new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 4}));

    static List<byte[]> segments(GeneveTunnel tunnel, byte[] inner) {
        List<byte[]> frames = new ArrayList<>();
        new TcpSegmenter(tunnel, MSS, 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
        return frames;
    }

    static List<byte[]> segments(IpVersion inner, int payload, int flags) throws Exception {
        return segments(tunnel(IpVersion.IPV4, 50_000, PLAIN),
                TestFrames.tcp(inner, false, 12, TestFrames.payload(payload, 1), flags, 1000, 7));
    }

    /** Where the inner headers of an outer frame are. */
    record Inner(int eth, int ip, int tcp, int tcpLength, boolean v4) {
        static Inner of(byte[] frame) {
            MemorySegment s = MemorySegment.ofArray(frame);
            GeneveFrameView view = new GeneveFrameView().wrap(s, 0, frame.length);
            EthernetView eth = new EthernetView().wrap(s, view.innerOffset(), view.innerLength());
            if (eth.etherType() == EtherType.IPV4) {
                Ipv4View ip = new Ipv4View().wrap(s, eth.payloadOffset(), eth.payloadLength());
                return new Inner((int) view.innerOffset(), (int) ip.offset(), (int) ip.payloadOffset(),
                        (int) ip.payloadLength(), true);
            }
            Ipv6View ip = new Ipv6View().wrap(s, eth.payloadOffset(), eth.payloadLength());
            return new Inner((int) view.innerOffset(), (int) ip.offset(), (int) ip.upperLayerOffset(),
                    (int) ip.upperLayerLength(), false);
        }

        /** Recomputes the inner IPv4 header and TCP checksums after an edit. */
        void fix(MemorySegment s) {
            long pseudo;
            if (v4) {
                Ipv4View ip = new Ipv4View().wrap(s, this.ip, tcp - this.ip + tcpLength).updateChecksum();
                pseudo = ip.pseudoHeaderSum(6, tcpLength);
            } else {
                pseudo = new Ipv6View().wrap(s, this.ip, tcp - this.ip + tcpLength).pseudoHeaderSum(6, tcpLength);
            }
            new TcpView().wrap(s, tcp, tcpLength).updateChecksum(pseudo);
        }
    }

    /** A copy of {@code frame} edited at its inner headers, checksums made good again. */
    static byte[] edited(byte[] frame, BiConsumer<MemorySegment, Inner> edit) {
        byte[] f = frame.clone();
        MemorySegment s = MemorySegment.ofArray(f);
        Inner at = Inner.of(f);
        edit.accept(s, at);
        at.fix(s);
        return f;
    }

    private static boolean add(TcpCoalescer gro, byte[] frame) {
        return gro.add(MemorySegment.ofArray(frame), 0, frame.length);
    }

    private static void assertSecondRefused(List<byte[]> frames, byte[] second) {
        TcpCoalescer gro = new TcpCoalescer(100_000);
        assertThat(add(gro, frames.get(0))).isTrue();
        assertThat(add(gro, second)).isFalse();
        assertThat(gro.frameCount()).isEqualTo(1);
        // and the unedited one still merges: the refusal changed nothing
        assertThat(add(gro, frames.get(1))).isTrue();
        assertThat(gro.frameCount()).isEqualTo(2);
    }

    @Test
    void innerHeaderFieldsThatMustMatch() throws Exception {
        for (IpVersion v : IpVersion.values()) {
            List<byte[]> frames = segments(v, 3000, TcpView.ACK);
            List<BiConsumer<MemorySegment, Inner>> edits = new ArrayList<>(List.of(
                    (s, at) -> Wire.putU8(s, at.eth() + 5, 0xbc),                           // destination MAC
                    (s, at) -> Wire.putU8(s, at.eth() + 11, 0xab),                          // source MAC
                    (s, at) -> Wire.putU16(s, at.tcp(), 40001),                             // source port
                    (s, at) -> Wire.putU16(s, at.tcp() + 2, 5202),                          // destination port
                    (s, at) -> Wire.putU8(s, at.tcp() + 11, 5),                             // acknowledgment
                    (s, at) -> Wire.putU8(s, at.tcp() + 8, 9),
                    (s, at) -> Wire.putU16(s, at.tcp() + 14, 501),                          // window
                    (s, at) -> Wire.putU16(s, at.tcp() + 18, 1),                            // urgent pointer
                    (s, at) -> Wire.putU8(s, at.tcp() + 31, 0x99),                          // timestamp option
                    (s, at) -> Wire.putU8(s, at.tcp() + 12, Wire.u8(s, at.tcp() + 12) | 1)  // reserved bit
            ));
            if (v == IpVersion.IPV4) {
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 1, 0x04));                     // DSCP
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 6, 0));                        // DF cleared
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 8, 63));                       // TTL
                edits.add((s, at) -> Wire.putU32(s, at.ip() + 16, 0x0a000003L));            // destination
            } else {
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 1, 0x22));                     // flow label
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 3, 0x46));
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 7, 63));                       // hop limit
                edits.add((s, at) -> Wire.putU8(s, at.ip() + 39, 3));                       // destination
            }
            for (int i = 0; i < edits.size(); i++) {
                assertSecondRefused(frames, edited(frames.get(1), edits.get(i)));
            }
        }
    }

    @Test
    void everyInnerHeaderByteOutsideTheMergedFieldsMustMatch() throws Exception {
        // exhaustive over the inner headers (Ethernet, IP, TCP with its options): one bit flipped in any
        // byte but the lengths, the IPv4 ID and checksum, the sequence number, the flags and the TCP
        // checksum, and the second frame is refused, whatever the word it falls in
        for (IpVersion v : IpVersion.values()) {
            List<byte[]> frames = segments(v, 3000, TcpView.ACK);
            Inner at = Inner.of(frames.get(1));
            int tcpHeader = (Wire.u8(MemorySegment.ofArray(frames.get(1)), at.tcp() + 12) >>> 4) * 4;
            int checked = 0;
            for (int p = at.eth(); p < at.tcp() + tcpHeader; p++) {
                int ip = p - at.ip();
                int tcp = p - at.tcp();
                boolean mayDiffer = v == IpVersion.IPV4 ? ip >= 2 && ip < 6 || ip == 10 || ip == 11 : ip == 4 || ip == 5;
                mayDiffer |= tcp >= 4 && tcp < 8 || tcp == 13 || tcp == 16 || tcp == 17;
                if (mayDiffer) {
                    continue;
                }
                byte[] second = frames.get(1).clone();
                MemorySegment s = MemorySegment.ofArray(second);
                Wire.putU8(s, p, Wire.u8(s, p) ^ 0x10);
                try {
                    at.fix(s); // checksums over the edit, so that only the header comparison can refuse it
                } catch (RuntimeException unparseable) {
                    // an EtherType, IP version or next header no longer of TCP: refused for that anyway
                }
                TcpCoalescer gro = new TcpCoalescer(100_000);
                assertThat(add(gro, frames.get(0))).isTrue();
                boolean merged;
                try {
                    merged = add(gro, second);
                } catch (io.github.geneve4j.codec.GeneveFormatException notTcp) {
                    merged = false; // no longer TCP over IP at all: refused with its reason
                }
                assertThat(merged).as("IPv%s, a bit flipped at inner byte %d", v, p - at.eth()).isFalse();
                assertThat(gro.frameCount()).isEqualTo(1);
                assertThat(add(gro, frames.get(1))).as("and the unedited one merges").isTrue();
                checked++;
            }
            assertThat(checked).as("header bytes checked, IPv%s", v).isGreaterThan(40);
        }
    }

    @Test
    void headersLongerThanTheMaskAreComparedRangeByRange() throws Exception {
        // IPv6 with a 216-byte Destination Options header: 14 + 40 + 216 + 32 = 302 bytes of inner
        // headers, past the 256 the mask covers, so the coalescer compares them range by range
        byte[][] datagrams = new byte[3][];
        for (int i = 0; i < 3; i++) {
            datagrams[i] = geneveDatagram(withDestinationOptions(TestFrames.tcp(IpVersion.IPV6, false, 12,
                    TestFrames.payload(1000, i), TcpView.ACK, 1000 + 1000L * i, 7), 216));
        }
        int options = 8 + 14 + 40;         // Geneve header, Ethernet, IPv6: where the options header starts
        int tcp = options + 216;
        int[] mustMatch = {options + 100, options + 215, 8 + 14 + 1, tcp + 2, tcp + 31};
        for (int at : mustMatch) {
            TcpCoalescer gro = new TcpCoalescer(100_000);
            assertThat(offer(gro, datagrams[0])).isEqualTo(TcpCoalescer.Offer.MERGED);
            byte[] edited = datagrams[1].clone();
            edited[at] ^= 0x10; // inside the TCP options or ports the TCP checksum would catch: fix it
            if (at >= tcp) {
                fixTcpChecksum(edited, tcp);
            }
            assertThat(offer(gro, edited)).as("a bit flipped at datagram byte %d", at).isEqualTo(TcpCoalescer.Offer.NOT_NEXT);
            assertThat(gro.frameCount()).isEqualTo(1);
        }
        TcpCoalescer gro = new TcpCoalescer(100_000);
        for (byte[] d : datagrams) {
            assertThat(offer(gro, d)).isEqualTo(TcpCoalescer.Offer.MERGED);
        }
        assertThat(gro.frameCount()).isEqualTo(3);
        assertThat(gro.finish(MemorySegment.ofArray(new byte[100_000]), 0)).isEqualTo(14 + 40 + 216 + 32 + 3000);
    }

    private static TcpCoalescer.Offer offer(TcpCoalescer gro, byte[] datagram) {
        return gro.offerDatagram(MemorySegment.ofArray(datagram), 0, datagram.length);
    }

    /** An IPv6 frame with a Destination Options header of {@code length} bytes (one PadN) before its TCP segment. */
    static byte[] withDestinationOptions(byte[] frame, int length) {
        int ip = 14;
        byte[] out = new byte[frame.length + length];
        System.arraycopy(frame, 0, out, 0, ip + 40);
        System.arraycopy(frame, ip + 40, out, ip + 40 + length, frame.length - ip - 40);
        MemorySegment s = MemorySegment.ofArray(out);
        Wire.putU16(s, ip + 4, Wire.u16(s, ip + 4) + length);   // Payload Length
        Wire.putU8(s, ip + 6, 60);                              // Next Header: Destination Options
        Wire.putU8(s, ip + 40, 6);                              // its Next Header: TCP
        Wire.putU8(s, ip + 41, length / 8 - 1);                 // Hdr Ext Len
        Wire.putU8(s, ip + 42, 1);                              // PadN over the rest
        Wire.putU8(s, ip + 43, length - 4);
        return out;
    }

    /** A Geneve datagram (base header, VNI 5000, Ethernet) around {@code frame}, as a socket receives it. */
    static byte[] geneveDatagram(byte[] frame) {
        byte[] header = GeneveHeader.of(ProtocolType.ETHERNET, 5000).toBytes();
        byte[] d = new byte[header.length + frame.length];
        System.arraycopy(header, 0, d, 0, header.length);
        System.arraycopy(frame, 0, d, header.length, frame.length);
        return d;
    }

    /** Recomputes the TCP checksum of an IPv6 datagram from {@link #geneveDatagram} whose TCP header is at {@code tcp}. */
    private static void fixTcpChecksum(byte[] datagram, int tcp) {
        MemorySegment s = MemorySegment.ofArray(datagram);
        long length = datagram.length - tcp;
        long pseudo = io.github.geneve4j.codec.net.InternetChecksum.pseudoHeaderIpv6(s, 8 + 14 + 8, 6, length);
        Wire.putU16(s, tcp + 16, 0);
        Wire.putU16(s, tcp + 16, io.github.geneve4j.codec.net.InternetChecksum.finish(
                pseudo + io.github.geneve4j.codec.net.InternetChecksum.sum(s, tcp, length)));
    }

    @Test
    void fieldsThatMayDiffer() throws Exception {
        // lengths, IPv4 ID (counted), checksums: every segment has its own; PSH and FIN on the last
        List<byte[]> frames = segments(IpVersion.IPV4, 2500, TcpView.ACK | TcpView.PSH | TcpView.FIN);
        TcpCoalescer gro = new TcpCoalescer(100_000);
        for (byte[] f : frames) {
            assertThat(add(gro, f)).isTrue();
        }
        assertThat(gro.frameCount()).isEqualTo(3);
        // sequence numbers differ in every byte when they cross 2^24 and wrap at 2^32
        for (long seq : new long[] {0x00FF_FE00L, 0xFFFF_FE00L}) {
            TcpCoalescer g = new TcpCoalescer(100_000);
            for (byte[] f : segments(tunnel(IpVersion.IPV4, 50_000, PLAIN),
                    TestFrames.tcp(IpVersion.IPV6, false, 0, TestFrames.payload(2500, 1), TcpView.ACK, seq, 7))) {
                assertThat(add(g, f)).as("sequence from %x", seq).isTrue();
            }
        }
    }

    @Test
    void ipv4IdMustCountUp() throws Exception {
        List<byte[]> frames = segments(IpVersion.IPV4, 3000, TcpView.ACK);
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU16(s, at.ip() + 4, 7)));
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU16(s, at.ip() + 4, 9)));
    }

    @Test
    void flagsDecideWhatMerges() throws Exception {
        List<byte[]> frames = segments(IpVersion.IPV6, 3000, TcpView.ACK);
        // CWR after the first, ECE or any flag other than FIN/PSH that differs
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | TcpView.CWR)));
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | TcpView.ECE)));
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU8(s, at.tcp() + 13, 0)));
        // a sequence number that does not follow on
        assertSecondRefused(frames, edited(frames.get(1), (s, at) -> Wire.putU32(s, at.tcp() + 4, Wire.u32(s, at.tcp() + 4) + 1)));
        // nothing after PSH
        TcpCoalescer gro = new TcpCoalescer(100_000);
        assertThat(add(gro, edited(frames.get(0), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | TcpView.PSH)))).isTrue();
        assertThat(add(gro, frames.get(1))).isFalse();
        // nothing after a first segment with SYN, RST or URG (Linux flushes them at once)
        for (int flag : new int[] {TcpView.SYN, TcpView.RST, TcpView.URG}) {
            TcpCoalescer g = new TcpCoalescer(100_000);
            assertThat(add(g, edited(frames.get(0), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | flag)))).isTrue();
            assertThat(add(g, edited(frames.get(1), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | flag)))).isFalse();
        }
        // nothing after a segment shorter than the first
        List<byte[]> shortThenFull = segments(IpVersion.IPV6, 1500, TcpView.ACK);
        TcpCoalescer h = new TcpCoalescer(100_000);
        assertThat(add(h, shortThenFull.get(0))).isTrue();
        assertThat(add(h, shortThenFull.get(1))).isTrue();
        byte[] third = edited(shortThenFull.get(1), (s, at) -> Wire.putU32(s, at.tcp() + 4, 1000 + 1500));
        assertThat(add(h, third)).isFalse();
        // a first CWR is kept on the merged frame
        TcpCoalescer c = new TcpCoalescer(100_000);
        byte[] first = edited(frames.get(0), (s, at) -> Wire.putU8(s, at.tcp() + 13, TcpView.ACK | TcpView.CWR));
        assertThat(add(c, first)).isTrue();
        assertThat(add(c, frames.get(1))).isTrue();
        byte[] out = new byte[10_000];
        long n = c.finish(MemorySegment.ofArray(out), 0);
        assertThat(out[(int) (n - 2000 - 32 + 13)]).isEqualTo((byte) (TcpView.ACK | TcpView.CWR));
    }

    @Test
    void outerFlowAndGeneveHeaderMustMatch() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3000, 1), TcpView.ACK, 1000, 7);
        List<byte[]> frames = segments(tunnel(IpVersion.IPV4, 50_000, PLAIN), inner);
        // another UDP source port: another outer flow (udp_gro_receive matches both ports)
        assertSecondRefused(frames, segments(tunnel(IpVersion.IPV4, 50_001, PLAIN), inner).get(1));
        // another VNI or option value, same header length: geneve_gro_receive compares the header
        assertSecondRefused(frames, segments(tunnel(IpVersion.IPV4, 50_000, GeneveHeader.of(ProtocolType.ETHERNET, 5001,
                new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 4}))), inner).get(1));
        assertSecondRefused(frames, segments(tunnel(IpVersion.IPV4, 50_000, GeneveHeader.of(ProtocolType.ETHERNET, 5000,
                new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 5}))), inner).get(1));
        // another inner IP version
        byte[] v6 = TestFrames.tcp(IpVersion.IPV6, false, 0, TestFrames.payload(3000, 1), TcpView.ACK, 1000, 7);
        assertSecondRefused(frames, segments(tunnel(IpVersion.IPV4, 50_000, PLAIN), v6).get(1));
    }

    @Test
    void capacityIsTheLargestMergedFrame() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(2000, 1), TcpView.ACK, 1000, 7);
        List<byte[]> frames = segments(tunnel(IpVersion.IPV4, 50_000, PLAIN), inner);
        int first = 54 + MSS;
        TcpCoalescer exact = new TcpCoalescer(inner.length);
        assertThat(add(exact, frames.get(0))).isTrue();
        assertThat(add(exact, frames.get(1))).isTrue();
        TcpCoalescer oneShort = new TcpCoalescer(inner.length - 1);
        assertThat(add(oneShort, frames.get(0))).isTrue();
        assertThat(add(oneShort, frames.get(1))).isFalse();
        assertThat(oneShort.frameCount()).isEqualTo(1);
        assertThat(add(new TcpCoalescer(first), frames.get(0))).isTrue();
        TcpCoalescer tiny = new TcpCoalescer(first - 1);
        assertThat(add(tiny, frames.get(0))).isFalse();
        assertThat(tiny.frameCount()).isZero();
        assertThat(tiny.finish(MemorySegment.ofArray(new byte[0]), 0)).isZero();
    }

    @Test
    void finishNeedsRoomForTheMergedFrameAndStartsAfresh() throws Exception {
        List<byte[]> frames = segments(IpVersion.IPV4, 2000, TcpView.ACK);
        TcpCoalescer gro = new TcpCoalescer(100_000);
        assertThat(add(gro, frames.get(0))).isTrue();
        assertThat(add(gro, frames.get(1))).isTrue();
        int length = 14 + 20 + 32 + 2000;
        assertThatThrownBy(() -> gro.finish(MemorySegment.ofArray(new byte[length + 2]), 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(gro.frameCount()).isEqualTo(2);
        byte[] out = new byte[length + 3];
        assertThat(gro.finish(MemorySegment.ofArray(out), 3)).isEqualTo(length);
        assertThat(gro.frameCount()).isZero();
        assertThat(gro.finish(MemorySegment.ofArray(out), 0)).isZero();
        // afresh: the second frame is now a first frame
        assertThat(add(gro, frames.get(1))).isTrue();
        assertThat(add(gro, frames.get(0))).isFalse();
    }

    @Test
    void lengthFieldsAtTheBigTcpBoundary() throws Exception {
        // 65535 fits the IP length field; one byte more and it is 0 (Linux BIG TCP)
        for (IpVersion v : IpVersion.values()) {
            int base = v == IpVersion.IPV4 ? 65_535 - 20 - 20 : 65_535 - 20;
            for (int payload : new int[] {base, base + 1}) {
                byte[] inner = TestFrames.tcp(v, false, 0, TestFrames.payload(payload, 3), TcpView.ACK, 1, 2);
                TcpCoalescer gro = new TcpCoalescer(inner.length);
                for (byte[] f : segments(tunnel(IpVersion.IPV6, 50_000, PLAIN), inner)) {
                    assertThat(add(gro, f)).isTrue();
                }
                byte[] out = new byte[inner.length];
                gro.finish(MemorySegment.ofArray(out), 0);
                assertThat(out).isEqualTo(inner);
                int field = Wire.u16(MemorySegment.ofArray(out), 14 + (v == IpVersion.IPV4 ? 2 : 4));
                assertThat(field).isEqualTo(payload == base ? 65_535 : 0);
            }
        }
    }

    @Test
    void refusesWhatIsNotEthernetIpTcpWithAValidChecksum() throws Exception {
        TcpCoalescer gro = new TcpCoalescer(100_000);
        // inner UDP: the pseudo-header would still say TCP, so only the protocol check can tell
        for (IpVersion v : IpVersion.values()) {
            byte[] udp = edited(segments(v, 100, TcpView.ACK).get(0), (s, at) -> { });
            Inner at = Inner.of(udp);
            udp[at.v4() ? at.ip() + 9 : at.ip() + 6] = 17;
            assertThatThrownBy(() -> add(gro, udp)).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_PROTOCOL);
                assertThat(e.getMessage()).contains("inner IP protocol 17 (expected: 6)");
            });
        }
        byte[] ip = segments(tunnel(IpVersion.IPV4, 1, GeneveHeader.of(ProtocolType.IPV4, 1)),
                java.util.Arrays.copyOfRange(TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[10], TcpView.ACK, 1, 1), 14,
                        14 + 20 + 20 + 10)).get(0);
        assertThatThrownBy(() -> add(gro, ip)).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_PROTOCOL);
            assertThat(e.getMessage()).contains("Geneve protocol type 0x0800 (expected: 0x6558)");
        });
        byte[] arp = segments(IpVersion.IPV4, 100, TcpView.ACK).get(0);
        Inner at = Inner.of(arp);
        Wire.putU16(MemorySegment.ofArray(arp), at.eth() + 12, EtherType.ARP);
        assertThatThrownBy(() -> add(gro, arp)).isInstanceOfSatisfying(GeneveFormatException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED_PROTOCOL));
        // a payload byte damaged on the way: the outer UDP checksum catches it first (outer Ethernet 14 +
        // IPv4 20 + the checksum's place 6 in the UDP header)
        GeneveTunnel checksummed = GeneveTunnel.builder()
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2")).header(PLAIN).build();
        byte[] corrupt = segments(checksummed,
                TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(100, 1), TcpView.ACK, 1000, 7)).get(0);
        corrupt[corrupt.length - 1] ^= 1;
        assertThatThrownBy(() -> add(gro, corrupt)).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.BAD_CHECKSUM);
            assertThat(e.offset()).isEqualTo(14 + 20 + 6);
            assertThat(e.getMessage()).contains("outer UDP checksum");
        });
        // the offset counts from the frame's first byte, wherever it sits
        byte[] placed = new byte[corrupt.length + 5];
        System.arraycopy(corrupt, 0, placed, 5, corrupt.length);
        assertThatThrownBy(() -> gro.add(MemorySegment.ofArray(placed), 5, corrupt.length))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> assertThat(e.offset()).isEqualTo(14 + 20 + 6));
        // without an outer UDP checksum (zero: allowed over IPv4), the inner TCP checksum
        Wire.putU16(MemorySegment.ofArray(corrupt), 14 + 20 + 6, 0);
        assertThatThrownBy(() -> add(gro, corrupt)).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.BAD_CHECKSUM);
            assertThat(e.offset()).isEqualTo(14 + 20 + 16); // the TCP checksum, from the inner frame's first byte
        });
        // an inner IPv4 header damaged on the way: finish() would give it a valid checksum, so refuse it
        byte[] header = segments(IpVersion.IPV4, 100, TcpView.ACK).get(0);
        header[Inner.of(header).ip() + 8] ^= 1; // TTL; the TCP pseudo-header does not cover it
        String field = "0x%04x".formatted(Wire.u16(MemorySegment.ofArray(header), Inner.of(header).ip() + 10));
        assertThatThrownBy(() -> add(gro, header)).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.BAD_CHECKSUM);
            assertThat(e.getMessage()).contains("inner IPv4 header checksum " + field + " does not verify");
        });
        assertThat(gro.frameCount()).isZero();
    }

    @Test
    void outerAddressesMustMatch() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3000, 1), TcpView.ACK, 1000, 7);
        List<byte[]> frames = segments(tunnel(IpVersion.IPV4, 50_000, PLAIN), inner);
        for (String[] pair : new String[][] {{"192.0.2.9", "192.0.2.2"}, {"192.0.2.1", "192.0.2.9"}}) {
            GeneveTunnel other = GeneveTunnel.builder()
                    .addresses(InetAddress.getByName(pair[0]), InetAddress.getByName(pair[1]))
                    .sourcePortRange(50_000, 50_000).header(PLAIN).build();
            assertSecondRefused(frames, segments(other, inner).get(1));
        }
        // and over IPv6, another source endpoint
        List<byte[]> v6 = segments(tunnel(IpVersion.IPV6, 50_000, PLAIN), inner);
        GeneveTunnel otherV6 = GeneveTunnel.builder()
                .addresses(InetAddress.getByName("2001:db8::9"), InetAddress.getByName("2001:db8::2"))
                .sourcePortRange(50_000, 50_000).header(PLAIN).build();
        assertSecondRefused(v6, segments(otherV6, inner).get(1));
    }
}
