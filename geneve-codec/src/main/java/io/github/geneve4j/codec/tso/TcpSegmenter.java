package io.github.geneve4j.codec.tso;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
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
 * <p>No allocation per segment: frames are written into a caller's buffer or into one scratch
 * buffer, reused, that is handed to a {@link FrameSink}. Not thread-safe (nor is the tunnel, whose
 * IPv4 ID counter advances); use one per thread.
 */
public final class TcpSegmenter {

    /** Receives each segmented frame; the buffer is reused after the call returns. */
    @FunctionalInterface
    public interface FrameSink {
        /**
         * @param buffer the segmenter's scratch buffer
         * @param offset where the frame starts in it
         * @param length the frame's length
         */
        void frame(MemorySegment buffer, long offset, int length);
    }

    private final GeneveTunnel tunnel;
    private final int mss;
    private final int mtu;
    private final int innerProtocol;
    private final EthernetView ethernet = new EthernetView();
    private final Ipv4View ipv4 = new Ipv4View();
    private final Ipv6View ipv6 = new Ipv6View();
    private final TcpView tcp = new TcpView();
    private MemorySegment scratch = MemorySegment.ofArray(new byte[0]);

    // the parsed input, set by parse()
    private boolean v4;
    private int l3;            // offset of the IP header from the frame start
    private int tcpAt;         // offset of the TCP header from the frame start
    private int headers;       // bytes from the frame start to the TCP payload
    private long payload;      // TCP payload bytes
    private int segmentSize;   // payload bytes per segment

    /**
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
     *     frame, {@code EXCEEDS_MTU} when the headers leave no room for payload within the MTU)
     */
    public int segment(MemorySegment frame, long offset, long length, FrameSink sink) {
        return segment(frame, offset, length, mss, sink);
    }

    /**
     * As {@link #segment(MemorySegment, long, long, FrameSink)}, with a segment size for this frame
     * alone in place of the configured MSS: a TAP's or a NIC driver's {@code gso_size}, which the
     * sender's TCP chose for this super-frame.
     *
     * @param segmentSize the largest TCP payload per segment for this frame, 1..65535 (lowered if
     *     needed so that each outer IP packet fits the MTU)
     * @throws IllegalArgumentException if {@code segmentSize} is out of range
     */
    public int segment(MemorySegment frame, long offset, long length, int segmentSize, FrameSink sink) {
        parse(frame, offset, length, segmentSize);
        long largest = tunnel.overhead() + headers + Math.min(segmentSize, payload);
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
     * @throws GeneveFormatException as {@link #segment(MemorySegment, long, long, FrameSink)}
     */
    public int segment(MemorySegment frame, long offset, long length, MemorySegment target, long targetOffset,
            int[] frameLengths) {
        return segment(frame, offset, length, mss, target, targetOffset, frameLengths);
    }

    /**
     * As {@link #segment(MemorySegment, long, long, MemorySegment, long, int[])}, with a segment size
     * for this frame alone in place of the configured MSS (see
     * {@link #segment(MemorySegment, long, long, int, FrameSink)}).
     *
     * @throws IllegalArgumentException if {@code segmentSize} is out of range, or as the other overload
     */
    public int segment(MemorySegment frame, long offset, long length, int segmentSize, MemorySegment target,
            long targetOffset, int[] frameLengths) {
        parse(frame, offset, length, segmentSize);
        int count = count();
        long needed = (long) count * (tunnel.overhead() + headers) + payload;
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

    private int count() {
        return payload == 0 ? 1 : (int) ((payload + segmentSize - 1) / segmentSize);
    }

    private void parse(MemorySegment frame, long offset, long length, int wanted) {
        if (wanted < 1 || wanted > 0xFFFF) {
            throw new IllegalArgumentException("segment size " + wanted + " out of range (expected: 1..65535)");
        }
        long ipOffset;
        long ipAvailable;
        int type = innerProtocol;
        if (type == EtherType.TRANSPARENT_ETHERNET) {
            ethernet.wrap(frame, offset, length);
            type = ethernet.etherType();
            ipOffset = ethernet.payloadOffset();
            ipAvailable = ethernet.payloadLength();
        } else {
            Wire.checkTarget(frame.byteSize(), offset, length, "frame");
            ipOffset = offset;
            ipAvailable = length;
        }
        long ipLength;
        long tcpOffset;
        int protocol;
        if (type == EtherType.IPV4) {
            ipv4.wrap(frame, ipOffset, ipAvailable);
            if (ipv4.moreFragments() || ipv4.fragmentOffset() != 0) {
                throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, ipOffset - offset + 6,
                        "inner IPv4 fragment (expected: an unfragmented TCP packet)");
            }
            protocol = ipv4.protocol();
            ipLength = ipv4.packetLength();
            tcpOffset = ipv4.payloadOffset();
            v4 = true;
        } else if (type == EtherType.IPV6) {
            ipv6.wrap(frame, ipOffset, ipAvailable);
            protocol = ipv6.upperLayerProtocol();
            ipLength = ipv6.packetLength();
            tcpOffset = ipv6.upperLayerOffset();
            v4 = false;
        } else {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, 12,
                    "inner EtherType 0x%04x (expected: IPv4 or IPv6)".formatted(type));
        }
        if (protocol != EtherType.PROTOCOL_TCP) {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, tcpOffset - offset,
                    "inner IP protocol " + protocol + " (expected: 6, TCP)");
        }
        if (ipLength != ipAvailable && !(ipLength < ipAvailable && length <= 60)) {
            throw new GeneveFormatException(Reason.BAD_LENGTH, ipOffset - offset + (v4 ? 2 : 4),
                    "inner IP packet length " + ipLength + " disagrees with the " + ipAvailable
                            + " bytes the frame carries");
        }
        long tcpLength = ipOffset + ipLength - tcpOffset;
        tcp.wrap(frame, tcpOffset, tcpLength);
        this.l3 = (int) (ipOffset - offset);
        this.tcpAt = (int) (tcpOffset - offset);
        this.headers = tcpAt + tcp.headerLength();
        this.payload = tcpLength - tcp.headerLength();
        // the inner Ethernet header travels inside the outer IP packet, so it counts against the MTU
        int room = mtu - tunnel.ipOverhead() - headers;
        if (room < 1) {
            throw new GeneveFormatException(Reason.EXCEEDS_MTU, 0, "inner headers of " + headers
                    + " bytes plus " + tunnel.ipOverhead() + " bytes of encapsulation leave no payload within MTU " + mtu);
        }
        this.segmentSize = Math.min(wanted, room);
    }

    /** Writes segment {@code i} of {@code count} at {@code at}; returns its length. */
    private int write(MemorySegment src, long offset, int i, int count, int port, MemorySegment buf, long at) {
        int overhead = tunnel.overhead();
        long skip = (long) i * segmentSize;
        int length = (int) Math.min(segmentSize, payload - skip);
        long inner = at + overhead;
        MemorySegment.copy(src, offset, buf, inner, headers);
        MemorySegment.copy(src, offset + headers + skip, buf, inner + headers, length);
        // fix up the copy: read-only state comes from the views over the source
        long ip = inner + l3;
        long t = inner + tcpAt;
        int tcpLength = headers - tcpAt + length;
        long pseudo;
        if (v4) {
            int ipHeader = tcpAt - l3;
            Wire.putU16(buf, ip + 2, ipHeader + tcpLength);
            Wire.putU16(buf, ip + 4, (ipv4.identification() + i) & 0xFFFF);
            Wire.putU16(buf, ip + 10, 0);
            Wire.putU16(buf, ip + 10, InternetChecksum.checksum(buf, ip, ipHeader));
            pseudo = InternetChecksum.pseudoHeaderIpv4(ipv4.source(), ipv4.destination(), EtherType.PROTOCOL_TCP,
                    tcpLength);
        } else {
            Wire.putU16(buf, ip + 4, tcpAt - l3 - Ipv6View.HEADER_LENGTH + tcpLength);
            pseudo = InternetChecksum.pseudoHeaderIpv6(buf, ip + 8, EtherType.PROTOCOL_TCP, tcpLength);
        }
        Wire.putU32(buf, t + 4, (tcp.sequence() + skip) & 0xFFFF_FFFFL);
        int flags = tcp.flags();
        if (i != count - 1) {
            flags &= ~(TcpView.FIN | TcpView.PSH);
        }
        if (i != 0) {
            flags &= ~TcpView.CWR;
        }
        Wire.putU8(buf, t + 13, flags);
        Wire.putU16(buf, t + 16, 0);
        Wire.putU16(buf, t + 16, InternetChecksum.finish(pseudo + InternetChecksum.sum(buf, t, tcpLength)));
        long innerSum = 0;
        if (tunnel.udpChecksum()) {
            // A TCP segment with a correct checksum sums to the negated pseudo-header sum, so the UDP
            // checksum needs only the headers before it (Linux's local checksum offload, lco_csum).
            innerSum = InternetChecksum.sum(buf, inner, tcpAt) + InternetChecksum.negate(InternetChecksum.fold(pseudo));
        }
        tunnel.writeHeaders(buf, at, headers + length, port, innerSum);
        return overhead + headers + length;
    }
}
