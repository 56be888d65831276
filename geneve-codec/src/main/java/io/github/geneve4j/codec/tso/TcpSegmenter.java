package io.github.geneve4j.codec.tso;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Internals;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Software TSO for Geneve: cuts one large inner TCP frame into the Geneve-encapsulated frames a
 * TSO-capable NIC would put on the wire, as Linux's {@code skb_udp_tunnel_segment} and
 * {@code tcp_gso_segment} do.
 *
 * <pre>{@code
 * TcpSegmenter segmenter = new TcpSegmenter(tunnel, 1448, 1500);
 * int frames = segmenter.segment(superFrame, 0, superFrameLength,
 *         (buffer, offset, length) -> channel.send(buffer.asSlice(offset, length)));
 * }</pre>
 *
 * <p>Per segment: the TCP payload is cut at the segment size (the MSS, lowered if needed so that
 * each outer IP packet fits the MTU); the inner Ethernet, IP and TCP headers are repeated with IPv4
 * Total Length, Identification (+1 per segment, from the original) and header checksum, or the IPv6
 * Payload Length, rewritten; the TCP sequence number advances by the bytes before it; FIN and PSH
 * stay only on the last segment and CWR only on the first; the TCP checksum is computed over the new
 * pseudo-header. The outer headers come from the {@link GeneveTunnel}: outer lengths, IPv4 ID and
 * checksum, UDP length, UDP source port from the inner flow (one port for all segments), and UDP
 * checksum computed or zero as the tunnel is configured (derived from the inner TCP checksum, Linux's
 * "local checksum offload", rather than a second pass over the payload).
 *
 * <p>Input: an Ethernet frame (with at most one 802.1Q tag) when the tunnel's Geneve protocol type
 * is {@code 0x6558}, a bare IPv4 or IPv6 packet when it is {@code 0x0800} or {@code 0x86DD}; IPv6
 * extension headers are carried unchanged in every segment. The IP length field must agree with the
 * frame length (Ethernet padding of frames of at most 60 bytes excepted). Beyond what a length
 * field can state (more than 65535 bytes), the Linux BIG TCP convention applies: an IPv4 Total
 * Length of 0 or an IPv6 Payload Length of 0 means the frame's own length governs. A frame with no
 * payload, or one that already fits, gives a single frame.
 *
 * <p>Two modes. Copy mode ({@code segment}) writes whole frames, payload copied, into a caller's
 * buffer or into one scratch buffer, reused, that is handed to a {@link FrameWriter}. Gather mode
 * ({@link #gather(MemorySegment, long, long) gather}) writes only each segment's headers, into a
 * small buffer, and leaves the payload in the caller's frame for a gathering write: one pass over
 * the payload (its TCP checksum) and no copy of it. Both give the same bytes. No allocation per
 * segment in either. Not thread-safe (nor is the tunnel, whose IPv4 ID counter advances); use one
 * per thread.
 */
public final class TcpSegmenter {

    /**
     * Receives each segmented frame and may throw {@code X} (an {@link java.io.IOException} when it
     * writes to a channel or a file), which {@code segment} then throws, the frames after it unwritten:
     *
     * <pre>{@code
     * segmenter.segment(frame, 0, frame.byteSize(),
     *         (buffer, offset, length) -> channel.write(buffer.asSlice(offset, length).asByteBuffer()));
     * }</pre>
     *
     * @param <X> what the sink may throw ({@code RuntimeException} when nothing checked)
     */
    @FunctionalInterface
    public interface FrameWriter<X extends Exception> {
        /**
         * Receives one segmented frame.
         *
         * @param buffer the segmenter's scratch buffer, reused after the call returns
         * @param offset where the frame starts in it
         * @param length the frame's length
         * @throws X as the sink does
         */
        void frame(MemorySegment buffer, long offset, int length) throws X;
    }

    /**
     * A {@link FrameWriter} that throws no checked exception; the buffer is reused after the call returns.
     *
     * @deprecated a second name for {@code FrameWriter<RuntimeException>}: declare that instead (a
     *     lambda fits either)
     */
    @Deprecated(since = "0.2.0", forRemoval = true)
    @FunctionalInterface
    public interface FrameSink extends FrameWriter<RuntimeException> {
        /**
         * Receives one segmented frame.
         *
         * @param buffer the segmenter's scratch buffer, reused after the call returns
         * @param offset where the frame starts in it
         * @param length the frame's length
         */
        @Override
        void frame(MemorySegment buffer, long offset, int length);
    }

    private final GeneveTunnel tunnel;
    private final int overhead;
    private final boolean udpChecksum;
    private final int mss;
    private final int mtu;
    private final int innerProtocol;
    private final FrameLocator locator = new FrameLocator();
    private final TcpView tcp = new TcpView();
    private MemorySegment scratch = MemorySegment.ofArray(new byte[0]);
    private final SegmentCursor cursor;
    private long generation; // advanced by every parse, so that a cursor notices it was overtaken

    // the parsed input, set by parse()
    private boolean v4;
    private int l3;            // offset of the IP header from the frame start
    private int tcpAt;         // offset of the TCP header from the frame start
    private int headers;       // bytes from the frame start to the TCP payload
    private long payload;      // TCP payload bytes
    private int segmentSize;   // payload bytes per segment
    private int tcpHeaderLength;
    private int ipId;          // inner IPv4 Identification of the original
    private long sequence;     // TCP sequence number of the original
    private int flags;         // TCP flags of the original
    private int dataOffsetByte; // the TCP byte before the flags (data offset, reserved bits)
    // unfolded sums over the original's headers without the words rewritten per segment
    private long pseudoHeaderBase; // the pseudo-header without its length
    private long ipHeaderBase;     // the IPv4 header without Total Length, Identification, checksum
    private long tcpHeaderBase;    // the TCP header without sequence number, offset/flags, checksum
    private long preTcpBase;       // the bytes before the TCP header without the rewritten IP words

    /**
     * A segmenter that cuts frames into segments of at most {@code mss} bytes of payload, each outer
     * IP packet within {@code mtu}, behind {@code tunnel}'s headers.
     *
     * @param tunnel the outer headers
     * @param mss the largest TCP payload per segment, 1..65535
     * @param mtu the largest outer IP packet, at least the tunnel's IP overhead plus 41 bytes (IPv4 and
     *     TCP headers and one byte of payload; each frame's own headers are checked when segmenting)
     * @throws IllegalArgumentException for an MSS or MTU out of range, or a tunnel whose Geneve
     *     protocol type is not Ethernet, IPv4 or IPv6
     */
    public TcpSegmenter(GeneveTunnel tunnel, int mss, int mtu) {
        this.tunnel = Objects.requireNonNull(tunnel, "tunnel");
        if (mss < 1 || mss > 0xFFFF) {
            throw new IllegalArgumentException("MSS " + mss + " out of range (expected: 1..65535)");
        }
        int minimum = tunnel.ipOverhead() + Ipv4View.MIN_HEADER_LENGTH + TcpView.MIN_HEADER_LENGTH + 1;
        if (mtu < minimum || mtu > 0xFFFF) {
            throw new IllegalArgumentException("MTU " + mtu + " out of range (expected: " + minimum
                    + "..65535: the tunnel adds " + tunnel.ipOverhead() + " bytes to each packet)");
        }
        this.innerProtocol = tunnel.header().protocolType();
        if (innerProtocol != EtherType.TRANSPARENT_ETHERNET && innerProtocol != EtherType.IPV4
                && innerProtocol != EtherType.IPV6) {
            throw new IllegalArgumentException("Geneve protocol type 0x%04x (expected: 0x6558, 0x0800 or 0x86dd)"
                    .formatted(innerProtocol));
        }
        this.mss = mss;
        this.mtu = mtu;
        this.overhead = tunnel.overhead();
        this.udpChecksum = tunnel.udpChecksum();
        this.cursor = new SegmentCursor(this, overhead - tunnel.header().encodedLength());
    }

    /** The configured MSS. */
    public int mss() {
        return mss;
    }

    /** The configured outer MTU. */
    public int mtu() {
        return mtu;
    }

    /**
     * Segments the inner frame of {@code length} bytes at {@code offset}, handing each outer frame
     * to {@code sink} in order.
     *
     * @return the number of frames
     * @throws GeneveFormatException if the input is not a valid TCP frame ({@code UNSUPPORTED_PROTOCOL}
     *     for anything but unfragmented TCP, {@code BAD_LENGTH} when the IP length disagrees with the
     *     frame; every offset from the frame's first byte; made without a stack trace)
     * @throws MtuExceededException when the frame's headers and the encapsulation leave no room for
     *     payload within the MTU (the configuration's limit, not bad input)
     * @throws X what the sink throws
     */
    public <X extends Exception> int segment(MemorySegment frame, long offset, long length, FrameWriter<X> sink)
            throws X {
        return segment(frame, offset, length, mss, sink);
    }

    /**
     * As {@link #segment(MemorySegment, long, long, FrameWriter)}, with a segment size for this frame
     * alone in place of the configured MSS: a TAP's or a NIC driver's {@code gso_size}, which the
     * sender's TCP chose for this super-frame.
     *
     * @param segmentSize the largest TCP payload per segment for this frame, 1..65535 (lowered if
     *     needed so that each outer IP packet fits the MTU)
     * @throws IllegalArgumentException if {@code segmentSize} is out of range
     */
    public <X extends Exception> int segment(MemorySegment frame, long offset, long length, int segmentSize,
            FrameWriter<X> sink) throws X {
        parse(frame, offset, length, segmentSize);
        long largest = overhead + headers + Math.min(segmentSize, payload);
        if (scratch.byteSize() < largest) {
            // grows to the largest frame seen, then stays: no allocation once warm
            scratch = MemorySegment.ofArray(new byte[(int) largest]);
        }
        int count = count();
        int port = tunnel.sourcePort(frame, offset, length);
        for (int i = 0; i < count; i++) {
            int frameLength = write(frame, offset, i, count, port, scratch, 0);
            sink.frame(scratch, 0, frameLength);
        }
        return count;
    }

    /**
     * Segments into {@code target}: the frames back to back from {@code targetOffset}, their lengths
     * in {@code frameLengths}.
     *
     * @return the number of frames
     * @throws IllegalArgumentException if the target or the lengths array is too small (nothing is
     *     written then)
     * @throws GeneveFormatException as {@link #segment(MemorySegment, long, long, FrameWriter)}
     */
    public int segment(MemorySegment frame, long offset, long length, MemorySegment target, long targetOffset,
            int[] frameLengths) {
        return segment(frame, offset, length, mss, target, targetOffset, frameLengths);
    }

    /**
     * As {@link #segment(MemorySegment, long, long, MemorySegment, long, int[])}, with a segment size
     * for this frame alone in place of the configured MSS (see
     * {@link #segment(MemorySegment, long, long, int, FrameWriter)}).
     *
     * @throws IllegalArgumentException if {@code segmentSize} is out of range, or as the other overload
     */
    public int segment(MemorySegment frame, long offset, long length, int segmentSize, MemorySegment target,
            long targetOffset, int[] frameLengths) {
        parse(frame, offset, length, segmentSize);
        int count = count();
        long needed = (long) count * (overhead + headers) + payload;
        Wire.checkTarget(target.byteSize(), targetOffset, needed, "target");
        if (frameLengths.length < count) {
            throw new IllegalArgumentException("frameLengths has room for " + frameLengths.length
                    + " frames (needed: " + count + ")");
        }
        int port = tunnel.sourcePort(frame, offset, length);
        long at = targetOffset;
        for (int i = 0; i < count; i++) {
            int frameLength = write(frame, offset, i, count, port, target, at);
            frameLengths[i] = frameLength;
            at += frameLength;
        }
        return count;
    }

    /**
     * Gather mode: prepares the segments of the inner frame of {@code length} bytes at
     * {@code offset} for a walk with the returned cursor, which writes each segment's headers into a
     * small buffer of its own and leaves the payload in {@code frame}, for gathering writes without a
     * copy (see {@link SegmentCursor}). The frames are byte for byte those of
     * {@link #segment(MemorySegment, long, long, FrameWriter)}.
     *
     * <pre>{@code
     * for (SegmentCursor s = segmenter.gather(superFrame, 0, length); s.next(); ) {
     *     channel.write(s.buffers());
     * }
     * }</pre>
     *
     * @return this segmenter's cursor, reset to before the first segment (the same instance each call)
     * @throws GeneveFormatException as {@link #segment(MemorySegment, long, long, FrameWriter)}
     */
    public SegmentCursor gather(MemorySegment frame, long offset, long length) {
        return gather(frame, offset, length, mss);
    }

    /**
     * As {@link #gather(MemorySegment, long, long)}, with a segment size for this frame alone in place
     * of the configured MSS (see {@link #segment(MemorySegment, long, long, int, FrameWriter)}).
     *
     * @throws IllegalArgumentException if {@code segmentSize} is out of range
     */
    public SegmentCursor gather(MemorySegment frame, long offset, long length, int segmentSize) {
        parse(frame, offset, length, segmentSize);
        cursor.reset(frame, offset, length, generation, count(), tunnel.sourcePort(frame, offset, length),
                overhead + headers);
        return cursor;
    }

    void checkGeneration(long expected) {
        if (generation != expected) {
            throw new IllegalStateException("the segmenter has segmented another frame since this cursor's gather()");
        }
    }

    /** The payload length of segment {@code i}. */
    int segmentLength(int i) {
        return (int) Math.min(segmentSize, payload - (long) i * segmentSize);
    }

    /** The offset of segment {@code i}'s payload from the frame start. */
    long payloadStart(int i) {
        return headers + (long) i * segmentSize;
    }

    /**
     * Gather mode: segment {@code i}'s headers at the start of {@code buf}, its payload summed in place.
     * The inner headers are copied for the first segment only: later segments find them in
     * {@code buf} and rewrite just the fields that change (all of which every segment rewrites).
     */
    void writeGathered(MemorySegment src, long offset, int i, int count, int port, int length, long payloadAt,
            MemorySegment buf) {
        writeHeaders(src, offset, i, count, port, length, InternetChecksum.sum(src, payloadAt, length), buf, 0, i == 0);
    }

    private int count() {
        return payload == 0 ? 1 : (int) ((payload + segmentSize - 1) / segmentSize);
    }

    private void parse(MemorySegment frame, long offset, long length, int wanted) {
        generation++;
        if (wanted < 1 || wanted > 0xFFFF) {
            throw new IllegalArgumentException("segment size " + wanted + " out of range (expected: 1..65535)");
        }
        FrameLocator.Link link = innerProtocol == EtherType.TRANSPARENT_ETHERNET ? FrameLocator.Link.ETHERNET
                : FrameLocator.Link.IP;
        if (!locator.tryWrap(link, frame, offset, length)) {
            throw GeneveFormatException.stackless(locator.errorReason(), locator.errorOffset(), locator.errorMessage());
        }
        if (link == FrameLocator.Link.IP && locator.etherType() != innerProtocol) {
            throw GeneveFormatException.stackless(Reason.UNSUPPORTED_PROTOCOL, 0,
                    "inner IP version %d (expected: the tunnel's protocol type 0x%04x)".formatted(
                            locator.ipVersion() == IpVersion.IPV4 ? 4 : 6, innerProtocol));
        }
        v4 = locator.ipVersion() == IpVersion.IPV4;
        int protocol = locator.protocol();
        long ipOffset = locator.ipOffset();
        long ipLength = locator.ipLength();
        long tcpOffset = locator.transportOffset();
        if (protocol != EtherType.PROTOCOL_TCP) {
            throw GeneveFormatException.stackless(Reason.UNSUPPORTED_PROTOCOL, tcpOffset - offset,
                    "inner IP protocol " + protocol + " (expected: 6, TCP)");
        }
        // a trailer is Ethernet padding only in a minimum-size frame; elsewhere the lengths disagree
        if (locator.trailerLength() != 0 && length > 60) {
            throw GeneveFormatException.stackless(Reason.BAD_LENGTH, ipOffset - offset + (v4 ? Ipv4View.TOTAL_LENGTH_OFFSET : Ipv6View.PAYLOAD_LENGTH_OFFSET),
                    "inner IP packet length " + ipLength + " disagrees with the " + (length - locator.linkHeaderLength())
                            + " bytes the frame carries");
        }
        Ipv4View ipv4 = locator.ipv4();
        long tcpLength = ipOffset + ipLength - tcpOffset;
        if (!tcp.tryWrap(frame, tcpOffset, tcpLength)) {
            throw GeneveFormatException.stackless(tcp.errorReason(), tcpOffset - offset + tcp.errorOffset(),
                    "inner " + tcp.errorMessage());
        }
        this.l3 = (int) (ipOffset - offset);
        this.tcpAt = (int) (tcpOffset - offset);
        this.tcpHeaderLength = tcp.headerLength();
        this.headers = tcpAt + tcpHeaderLength;
        this.payload = tcpLength - tcpHeaderLength;
        this.sequence = tcp.sequence();
        this.flags = tcp.flags();
        this.dataOffsetByte = Wire.u8(frame, tcpOffset + TcpView.DATA_OFFSET_OFFSET);
        // Each word rewritten per segment is taken out of the sums by adding its one's complement
        // negation (RFC 1624: ~m), so that the sums stay positive whatever sum() returns; every word
        // sits at an even offset from the frame start (IP and TCP headers are multiples of 4 bytes)
        this.tcpHeaderBase = InternetChecksum.sum(frame, tcpOffset, tcpHeaderLength)
                + minus32(frame, tcpOffset + TcpView.SEQUENCE_OFFSET)
                + minus(frame, tcpOffset + TcpView.DATA_OFFSET_OFFSET) + minus(frame, tcpOffset + TcpView.CHECKSUM_OFFSET);
        long rewritten;
        if (v4) {
            int ipHeaderLength = tcpAt - l3;
            rewritten = minus(frame, ipOffset + Ipv4View.TOTAL_LENGTH_OFFSET)
                    + minus(frame, ipOffset + Ipv4View.IDENTIFICATION_OFFSET)
                    + minus(frame, ipOffset + Ipv4View.CHECKSUM_OFFSET);
            this.ipId = ipv4.identification();
            this.ipHeaderBase = InternetChecksum.sum(frame, ipOffset, ipHeaderLength) + rewritten;
            this.pseudoHeaderBase = InternetChecksum.pseudoHeaderIpv4(ipv4.source(), ipv4.destination(),
                    EtherType.PROTOCOL_TCP, 0);
        } else {
            rewritten = minus(frame, ipOffset + Ipv6View.PAYLOAD_LENGTH_OFFSET);
            this.pseudoHeaderBase = InternetChecksum.pseudoHeaderIpv6(frame, ipOffset + Ipv6View.SOURCE_OFFSET,
                    EtherType.PROTOCOL_TCP, 0);
        }
        this.preTcpBase = InternetChecksum.sum(frame, offset, tcpAt) + rewritten;
        // the inner Ethernet header travels inside the outer IP packet, so it counts against the MTU
        int room = mtu - tunnel.ipOverhead() - headers;
        if (room < 1) {
            throw new MtuExceededException(headers, tunnel.ipOverhead(), mtu);
        }
        this.segmentSize = Math.min(wanted, room);
    }

    /** The one's complement negation of the 16-bit word at {@code at}: adding it takes the word out of a sum. */
    private static int minus(MemorySegment frame, long at) {
        return Internals.negate(Wire.u16(frame, at));
    }

    /** {@link #minus} of the two 16-bit words of the 32-bit field at {@code at}. */
    private static int minus32(MemorySegment frame, long at) {
        return minus(frame, at) + minus(frame, at + Short.BYTES);
    }

    /**
     * Writes segment {@code i} of {@code count} at {@code at}: its headers copied from the source and
     * fixed up, its payload copied after them; returns its length.
     */
    private int write(MemorySegment src, long offset, int i, int count, int port, MemorySegment buf, long at) {
        int length = segmentLength(i);
        long from = offset + payloadStart(i);
        MemorySegment.copy(src, from, buf, at + overhead + headers, length);
        // summed from the source, where the bytes are as they will be sent (the copy holds the same)
        long payloadSum = InternetChecksum.sum(src, from, length);
        writeHeaders(src, offset, i, count, port, length, payloadSum, buf, at, true);
        return overhead + headers + length;
    }

    /**
     * Writes the outer and inner headers of segment {@code i} of {@code count} at {@code at}, for a
     * payload of {@code length} bytes whose sum is {@code payloadSum}; the inner headers are copied
     * from the source first unless {@code copyInner} is false (they are in {@code buf} already).
     *
     * <p>Every checksum is computed from per-frame base sums ({@link #parse}) plus the words that
     * change per segment, which is the same one's complement sum as summing the rewritten headers
     * (RFC 1071 §2: the sum is commutative and associative, and each field sits at an even offset).
     */
    private void writeHeaders(MemorySegment src, long offset, int i, int count, int port, int length,
            long payloadSum, MemorySegment buf, long at, boolean copyInner) {
        long inner = at + overhead;
        if (copyInner) {
            MemorySegment.copy(src, offset, buf, inner, headers);
        }
        long ip = inner + l3;
        long t = inner + tcpAt;
        int tcpLength = tcpHeaderLength + length;
        long pseudo;
        long changed; // the sum of the rewritten words before the TCP header
        if (v4) {
            int total = tcpAt - l3 + tcpLength;
            int id = (ipId + i) & 0xFFFF;
            int ipChecksum = InternetChecksum.finish(ipHeaderBase + total + id);
            Wire.putU16(buf, ip + Ipv4View.TOTAL_LENGTH_OFFSET, total);
            Wire.putU16(buf, ip + Ipv4View.IDENTIFICATION_OFFSET, id);
            Wire.putU16(buf, ip + Ipv4View.CHECKSUM_OFFSET, ipChecksum);
            changed = total + id + ipChecksum;
        } else {
            int payloadLength = tcpAt - l3 - Ipv6View.HEADER_LENGTH + tcpLength;
            Wire.putU16(buf, ip + Ipv6View.PAYLOAD_LENGTH_OFFSET, payloadLength);
            changed = payloadLength;
        }
        // the pseudo-header's length word: tcpLength itself is congruent to its two 16-bit halves
        pseudo = pseudoHeaderBase + tcpLength;
        long sequence = (this.sequence + (long) i * segmentSize) & 0xFFFF_FFFFL;
        int flags = this.flags;
        if (i != count - 1) {
            flags &= ~(TcpView.FIN | TcpView.PSH);
        }
        if (i != 0) {
            flags &= ~TcpView.CWR;
        }
        Wire.putU32(buf, t + TcpView.SEQUENCE_OFFSET, sequence);
        Wire.putU8(buf, t + TcpView.FLAGS_OFFSET, flags);
        int offsetAndFlags = (dataOffsetByte << 8) | flags;
        long tcpSum = pseudo + tcpHeaderBase + (sequence >>> 16) + (sequence & 0xFFFF) + offsetAndFlags + payloadSum;
        Wire.putU16(buf, t + TcpView.CHECKSUM_OFFSET, InternetChecksum.finish(tcpSum));
        long innerSum = 0;
        if (udpChecksum) {
            // A TCP segment with a correct checksum sums to the negated pseudo-header sum, so the UDP
            // checksum needs only the headers before it (Linux's local checksum offload, lco_csum).
            innerSum = preTcpBase + changed + Internals.negate(InternetChecksum.fold(pseudo));
        }
        Internals.tunnel().writeHeaders(tunnel, buf, at, headers + length, port, innerSum);
    }
}
