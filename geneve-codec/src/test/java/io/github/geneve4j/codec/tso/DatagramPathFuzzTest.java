package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzing the two codec pieces an endpoint's data path feeds with bytes from outside, in the forms
 * it uses them (regression inputs in {@code DatagramPathFuzzTestInputs/}):
 *
 * <ul>
 *   <li>{@link TcpCoalescer#offerDatagram} on arbitrary datagrams: it never throws; what it does not
 *       merge changes nothing (a twin fed only the merged datagrams finishes to the same bytes); after
 *       {@code NOT_NEXT} and {@code finish} the same datagram is never {@code NOT_NEXT} again unless it
 *       alone exceeds the capacity; a finished frame's IPv4 header and TCP checksums verify and,
 *       without BIG TCP, its IP length field states its length.
 *   <li>{@link TcpSegmenter#gather} on arbitrary frames with an arbitrary {@code gso_size}: it throws
 *       {@link GeneveFormatException} or cuts the frame into segments whose payloads, in order, are
 *       the frame's TCP payload, every segment's outer IP packet within the MTU; nothing else.
 * </ul>
 */
class DatagramPathFuzzTest {

    private static final int MAX_DATAGRAMS = 64;

    @FuzzTest(maxDuration = "10m")
    void offerDatagramIsTotalAndChangesNothingItRefuses(byte[] bytes) {
        TcpCoalescerFuzzTest.Input in = new TcpCoalescerFuzzTest.Input(bytes);
        int capacity = in.between(0, 70_000);
        boolean bigTcp = in.bool();
        TcpCoalescer gro = new TcpCoalescer(capacity, bigTcp);
        TcpCoalescer twin = new TcpCoalescer(capacity, bigTcp);
        List<byte[]> merged = new ArrayList<>();
        for (int n = 0; n < MAX_DATAGRAMS && !in.exhausted(); n++) {
            int offset = in.u8() & 7;
            byte[] d = in.bytes(in.u16());
            byte[] placed = new byte[offset + d.length + (in.u8() & 7)];
            System.arraycopy(d, 0, placed, offset, d.length);
            MemorySegment s = MemorySegment.ofArray(placed);
            TcpCoalescer.Offer offer = gro.offerDatagram(s, offset, d.length);
            if (offer == TcpCoalescer.Offer.NOT_NEXT) {
                check(gro, twin, merged, bigTcp);
                offer = gro.offerDatagram(s, offset, d.length);
                if (offer == TcpCoalescer.Offer.NOT_NEXT) {
                    assertThat(d.length).as("refused by an empty coalescer only for its size").isGreaterThan(capacity - 8);
                }
            }
            if (offer == TcpCoalescer.Offer.MERGED) {
                merged.add(d);
            } else if (offer == TcpCoalescer.Offer.REFUSED) {
                assertThat(gro.refusalReason()).isNotNull();
            }
        }
        check(gro, twin, merged, bigTcp);
    }

    /** Finishes both coalescers (the twin fed only the merged datagrams) and compares; starts afresh. */
    private static void check(TcpCoalescer gro, TcpCoalescer twin, List<byte[]> merged, boolean bigTcp) {
        for (byte[] d : merged) {
            assertThat(twin.offerDatagram(MemorySegment.ofArray(d), 0, d.length)).isEqualTo(TcpCoalescer.Offer.MERGED);
        }
        assertThat(twin.frameCount()).isEqualTo(gro.frameCount());
        byte[] a = new byte[70_000];
        byte[] b = new byte[70_000];
        long n = gro.finish(MemorySegment.ofArray(a), 0);
        assertThat(twin.finish(MemorySegment.ofArray(b), 0)).isEqualTo(n);
        assertThat(Arrays.equals(a, 0, (int) n, b, 0, (int) n)).isTrue();
        if (n > 0) {
            verify(MemorySegment.ofArray(a), n, bigTcp);
        }
        merged.clear();
    }

    /** The merged frame's checksums verify and, without BIG TCP, its IP length field states its length. */
    private static void verify(MemorySegment f, long n, boolean bigTcp) {
        int l3 = Wire.u16(f, 12) == EtherType.VLAN ? 18 : 14;
        int etherType = Wire.u16(f, l3 - 2);
        long tcpAt;
        long pseudo;
        if (etherType == EtherType.IPV4) {
            Ipv4View ip = new Ipv4View().wrap(f, l3, n - l3);
            assertThat(ip.checksumValid()).isTrue();
            if (!bigTcp) {
                assertThat(ip.totalLength()).isEqualTo((int) (n - l3));
            }
            tcpAt = ip.payloadOffset();
            pseudo = ip.pseudoHeaderSum(EtherType.PROTOCOL_TCP, n - tcpAt);
        } else {
            Ipv6View ip = new Ipv6View().wrap(f, l3, n - l3);
            if (!bigTcp) {
                assertThat(ip.payloadLengthField()).isEqualTo((int) (n - l3 - Ipv6View.HEADER_LENGTH));
            }
            tcpAt = ip.upperLayerOffset();
            pseudo = ip.pseudoHeaderSum(EtherType.PROTOCOL_TCP, n - tcpAt);
        }
        assertThat(new TcpView().wrap(f, tcpAt, n - tcpAt).checksumValid(pseudo)).isTrue();
    }

    @FuzzTest(maxDuration = "10m")
    void gatherIsTotalOnArbitraryFramesAndSegmentSizes(byte[] bytes) throws Exception {
        TcpCoalescerFuzzTest.Input in = new TcpCoalescerFuzzTest.Input(bytes);
        int gsoSize = in.between(1, 0xFFFF);
        int mtu = in.between(576, 9000);
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000)).udpChecksum(in.bool()).build();
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, 1448, mtu);
        byte[] frame = in.bytes(bytes.length);
        MemorySegment s = MemorySegment.ofArray(frame);
        SegmentCursor cursor;
        try {
            cursor = segmenter.gather(s, 0, frame.length, gsoSize);
        } catch (GeneveFormatException refused) {
            return;
        }
        long payload = 0;
        long expectedOffset = -1;
        while (cursor.next()) {
            assertThat(cursor.headerLength() - 14 + cursor.payloadLength()).as("outer IP packet").isLessThanOrEqualTo(mtu);
            if (expectedOffset >= 0) {
                assertThat(cursor.payloadOffset()).isEqualTo(expectedOffset); // in order, no gap, no overlap
            }
            expectedOffset = cursor.payloadOffset() + cursor.payloadLength();
            payload += cursor.payloadLength();
        }
        assertThat(cursor.count()).isPositive();
        // what the segmenter accepted, the views read the same way: the payloads add up to its TCP payload
        assertThat(payload).isEqualTo(tcpPayload(s, frame.length));
    }

    /** The TCP payload length of an Ethernet frame, read with the net views (which throw on what they refuse). */
    private static long tcpPayload(MemorySegment f, long length) {
        io.github.geneve4j.codec.net.EthernetView eth = new io.github.geneve4j.codec.net.EthernetView().wrap(f, 0, length);
        long tcpAt;
        long tcpLength;
        if (eth.etherType() == EtherType.IPV4) {
            Ipv4View ip = new Ipv4View().wrap(f, eth.payloadOffset(), eth.payloadLength());
            tcpAt = ip.payloadOffset();
            tcpLength = ip.payloadLength();
        } else {
            Ipv6View ip = new Ipv6View().wrap(f, eth.payloadOffset(), eth.payloadLength());
            tcpAt = ip.upperLayerOffset();
            tcpLength = ip.upperLayerLength();
        }
        return new TcpView().wrap(f, tcpAt, tcpLength).payloadLength();
    }
}
