package io.github.geneve4j.codec.tso;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import java.lang.foreign.MemorySegment;

/**
 * GRO-like coalescing: Geneve frames of one TCP flow, in order, merged back into one inner frame.
 *
 * <pre>{@code
 * TcpCoalescer gro = new TcpCoalescer(300_000);
 * if (!gro.add(frame, 0, frameLength)) { long n = gro.finish(out, 0); gro.add(frame, 0, frameLength); }
 * }</pre>
 *
 * <p>A frame is merged only if its Geneve header and options equal the first frame's byte for byte
 * (the Linux rule), its outer IP addresses and UDP ports match, its inner headers equal the first's
 * except the IP length, IPv4 ID and checksums and the TCP sequence number, flags and checksum, its
 * sequence number follows on, it carries payload but no more than the first, and no earlier segment
 * carried FIN or PSH or was shorter than the first; a later segment with CWR is not merged, and a
 * segment without payload (a pure ACK) is never merged with another, as in Linux's
 * {@code tcp_gro_receive}. The merged frame keeps the first segment's headers (IPv4 ID included) with
 * FIN/PSH of the last, lengths and checksums recomputed; above 65535 bytes the IP length field is
 * 0 (Linux BIG TCP). Inner frames must be Ethernet (protocol type 0x6558). Not thread-safe.
 */
public final class TcpCoalescer {

    private final MemorySegment buffer;
    // made once: copying into a fresh MemorySegment.ofArray per frame allocated on every add
    private final MemorySegment geneveHeader = MemorySegment.ofArray(new byte[260]);
    private final MemorySegment outerAddresses = MemorySegment.ofArray(new byte[32]);
    private int outerAddressesLength;
    private final GeneveFrameView view = new GeneveFrameView();
    private final GeneveView datagramView = new GeneveView();
    private final EthernetView ethernet = new EthernetView();
    private final Ipv4View ipv4 = new Ipv4View();
    private final Ipv6View ipv6 = new Ipv6View();
    private final TcpView tcp = new TcpView();
    private int geneveLength;
    private int ports;
    private int count;
    private boolean v4;
    private int l3;
    private int tcpAt;
    private int headers;
    private long length;
    private long nextSeq;
    private long firstPayload;
    private boolean closed;
    private int lastFlags;

    /** @param capacity the largest merged inner frame, in bytes */
    public TcpCoalescer(int capacity) {
        this.buffer = MemorySegment.ofArray(new byte[capacity]);
    }

    /** Number of frames merged so far. */
    public int frameCount() {
        return count;
    }

    /**
     * The TCP payload of the first segment merged (the sender's segment size, a GSO write's
     * {@code gso_size}). Describes the frame being built, or after {@link #finish} the frame it
     * wrote, until the next add; 0 before any.
     */
    public int segmentSize() {
        return (int) firstPayload;
    }

    /** Bytes of the merged frame's Ethernet, IP and TCP headers (a GSO write's {@code hdr_len}); as {@link #segmentSize()}. */
    public int headerLength() {
        return headers;
    }

    /** Offset of the merged frame's TCP header from its first byte (a partial checksum's {@code csum_start}); as {@link #segmentSize()}. */
    public int transportOffset() {
        return tcpAt;
    }

    /** Whether the merged frame is IPv4 (else IPv6); as {@link #segmentSize()}. */
    public boolean ipv4() {
        return v4;
    }

    /**
     * Adds one Geneve frame.
     *
     * @return {@code false} if the frame cannot be merged with those already held (nothing changes
     *     then: {@link #finish} and add it again)
     * @throws GeneveFormatException if the frame is not a valid Geneve frame carrying Ethernet/IP/TCP
     *     ({@code BAD_CHECKSUM} when its outer UDP checksum, if not zero, its inner IPv4 header checksum
     *     or its inner TCP checksum does not verify)
     */
    public boolean add(MemorySegment frame, long offset, long frameLength) {
        view.wrap(frame, offset, frameLength);
        if (!view.udpChecksumValid()) {
            throw new GeneveFormatException(Reason.BAD_CHECKSUM, view.udp().offset() + 6 - offset,
                    "outer UDP checksum 0x%04x does not verify".formatted(view.udp().checksum()));
        }
        int udpPorts = (view.udp().sourcePort() << 16) | view.udp().destinationPort();
        boolean outerV4 = view.ipVersion() == IpVersion.IPV4;
        long addresses = outerV4 ? view.ipv4().offset() + 12 : view.ipv6().offset() + 8;
        return merge(frame, view.geneve(), udpPorts, addresses, outerV4 ? 8 : 32, view.innerOffset(), view.innerLength());
    }

    /**
     * Adds one Geneve datagram as a UDP socket receives it: the Geneve header at {@code offset},
     * its inner Ethernet frame behind it, {@code length} bytes in all. Datagrams merge under the
     * same rules as {@link #add frames}, the UDP ports aside (the socket has checked them); feed one
     * coalescer the datagrams of one peer.
     *
     * @return {@code false} if the datagram cannot be merged with those already held (nothing
     *     changes then: {@link #finish} and add it again)
     * @throws GeneveFormatException as {@link #add}, and {@code TRUNCATED} when the Geneve header
     *     claims more than {@code length} bytes
     * @throws IllegalArgumentException if {@code offset} and {@code length} are outside the segment
     */
    public boolean addDatagram(MemorySegment datagram, long offset, long length) {
        Wire.checkTarget(datagram.byteSize(), offset, length, "datagram");
        datagramView.wrap(datagram, offset);
        if (datagramView.headerLength() > length) {
            throw new GeneveFormatException(Reason.TRUNCATED, 0, "Geneve header of " + datagramView.headerLength()
                    + " bytes in a datagram of " + length + " bytes");
        }
        long inner = datagramView.payloadOffset();
        return merge(datagram, datagramView, 0, 0, 0, inner, offset + length - inner);
    }

    private boolean merge(MemorySegment frame, GeneveView geneve, int udpPorts, long addresses, int addressesLength,
            long inner, long innerLength) {
        int gl = geneve.headerLength();
        long g = geneve.offset();
        if (geneve.protocolType() != EtherType.TRANSPARENT_ETHERNET) {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, 2, "Geneve protocol type 0x%04x (expected: 0x6558)"
                    .formatted(geneve.protocolType()));
        }
        ethernet.wrap(frame, inner, innerLength);
        long tcpOffset;
        long tcpLength;
        long pseudo;
        boolean isV4 = ethernet.etherType() == EtherType.IPV4;
        if (isV4) {
            ipv4.wrap(frame, ethernet.payloadOffset(), ethernet.payloadLength());
            check(ipv4.protocol());
            tcpOffset = ipv4.payloadOffset();
            tcpLength = ipv4.payloadLength();
            pseudo = ipv4.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
        } else if (ethernet.etherType() == EtherType.IPV6) {
            ipv6.wrap(frame, ethernet.payloadOffset(), ethernet.payloadLength());
            check(ipv6.upperLayerProtocol());
            tcpOffset = ipv6.upperLayerOffset();
            tcpLength = ipv6.upperLayerLength();
            pseudo = ipv6.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
        } else {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, 12, "inner EtherType 0x%04x".formatted(ethernet.etherType()));
        }
        tcp.wrap(frame, tcpOffset, tcpLength);
        if (!tcp.checksumValid(pseudo)) {
            throw new GeneveFormatException(Reason.BAD_CHECKSUM, 16, "inner TCP checksum 0x%04x does not verify"
                    .formatted(tcp.checksum()));
        }
        // finish() writes a fresh IPv4 header checksum: a header damaged on the way must not get one
        if (isV4 && !ipv4.checksumValid()) {
            throw new GeneveFormatException(Reason.BAD_CHECKSUM, 10, "inner IPv4 header checksum 0x%04x does not verify"
                    .formatted(Wire.u16(frame, ipv4.offset() + 10)));
        }
        int h = (int) (tcp.payloadOffset() - inner);
        long payload = tcp.payloadLength();
        if (count == 0) {
            if (h + payload > buffer.byteSize()) {
                return false;
            }
            geneveLength = gl;
            MemorySegment.copy(frame, g, geneveHeader, 0, gl);
            ports = udpPorts;
            outerAddressesLength = addressesLength;
            MemorySegment.copy(frame, addresses, outerAddresses, 0, addressesLength);
            v4 = isV4;
            l3 = ethernet.headerLength();
            tcpAt = (int) (tcpOffset - inner);
            headers = h;
            MemorySegment.copy(frame, inner, buffer, 0, h + payload);
            length = h + payload;
            nextSeq = (tcp.sequence() + payload) & 0xFFFF_FFFFL;
            firstPayload = payload;
            lastFlags = tcp.flags();
            // a segment without payload (a pure ACK, a window update) is never merged: merging would
            // hide duplicate ACKs from the receiver's fast retransmit (Linux flushes on len == 0)
            closed = payload == 0
                    || (lastFlags & (TcpView.FIN | TcpView.PSH | TcpView.SYN | TcpView.RST | TcpView.URG)) != 0;
            count = 1;
            return true;
        }
        if (closed || payload == 0 || payload > firstPayload || gl != geneveLength || udpPorts != ports || isV4 != v4
                || h != headers
                || tcp.sequence() != nextSeq || (tcp.flags() & TcpView.CWR) != 0
                || ((tcp.flags() ^ lastFlags) & ~(TcpView.FIN | TcpView.PSH | TcpView.CWR)) != 0
                || length + payload > buffer.byteSize()
                || (isV4 && ipv4.identification() != ((Wire.u16(buffer, l3 + 4) + count) & 0xFFFF))) {
            return false;
        }
        if (addressesLength != outerAddressesLength
                || MemorySegment.mismatch(frame, addresses, addresses + addressesLength, outerAddresses, 0, addressesLength) != -1
                || MemorySegment.mismatch(frame, g, g + gl, geneveHeader, 0, gl) != -1
                || !sameHeaders(frame, inner, h)) {
            return false;
        }
        MemorySegment.copy(frame, tcp.payloadOffset(), buffer, length, payload);
        length += payload;
        nextSeq = (nextSeq + payload) & 0xFFFF_FFFFL;
        lastFlags = tcp.flags();
        closed = (lastFlags & (TcpView.FIN | TcpView.PSH)) != 0 || payload < firstPayload;
        count++;
        return true;
    }

    /**
     * Whether the first {@code h} bytes at {@code inner} equal the held frame's headers, except the
     * fields a merge may change: the IPv4 Total Length, Identification and header checksum, or the
     * IPv6 Payload Length; the TCP sequence number, flags and checksum.
     */
    private boolean sameHeaders(MemorySegment frame, long inner, int h) {
        boolean ip = v4
                ? same(frame, inner, 0, l3 + 2) && same(frame, inner, l3 + 6, l3 + 10) && same(frame, inner, l3 + 12, tcpAt)
                : same(frame, inner, 0, l3 + 4) && same(frame, inner, l3 + 6, tcpAt);
        return ip && same(frame, inner, tcpAt, tcpAt + 4) && same(frame, inner, tcpAt + 8, tcpAt + 13)
                && same(frame, inner, tcpAt + 14, tcpAt + 16) && same(frame, inner, tcpAt + 18, h);
    }

    private boolean same(MemorySegment frame, long inner, int from, int to) {
        return MemorySegment.mismatch(frame, inner + from, inner + to, buffer, from, to) == -1;
    }

    private static void check(int protocol) {
        if (protocol != EtherType.PROTOCOL_TCP) {
            throw new GeneveFormatException(Reason.UNSUPPORTED_PROTOCOL, 0, "inner IP protocol " + protocol + " (expected: 6)");
        }
    }

    /**
     * Writes the merged inner frame to {@code target} and starts afresh.
     *
     * @return its length, or 0 if nothing was added
     * @throws IllegalArgumentException if the target is too small
     */
    public long finish(MemorySegment target, long offset) {
        return finish(target, offset, false);
    }

    /**
     * Writes the merged inner frame to {@code target} and starts afresh; with {@code partialChecksum}
     * the TCP checksum field holds the folded pseudo-header sum rather than the checksum, as a frame
     * handed to a device that completes checksums expects (Linux {@code CHECKSUM_PARTIAL}, virtio-net
     * {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} with {@code csum_start} at {@link #transportOffset()} and
     * {@code csum_offset} 16).
     *
     * @return its length, or 0 if nothing was added
     * @throws IllegalArgumentException if the target is too small
     */
    public long finish(MemorySegment target, long offset, boolean partialChecksum) {
        if (count == 0) {
            return 0;
        }
        Wire.checkTarget(target.byteSize(), offset, length, "target");
        long tcpLength = length - tcpAt;
        long ipLength = length - l3;
        long pseudo;
        if (v4) {
            Wire.putU16(buffer, l3 + 2, ipLength > 0xFFFF ? 0 : (int) ipLength);
            Wire.putU16(buffer, l3 + 10, 0);
            Wire.putU16(buffer, l3 + 10, InternetChecksum.checksum(buffer, l3, tcpAt - l3));
            pseudo = InternetChecksum.pseudoHeaderIpv4(Wire.u32(buffer, l3 + 12), Wire.u32(buffer, l3 + 16),
                    EtherType.PROTOCOL_TCP, tcpLength);
        } else {
            long payloadLength = ipLength - Ipv6View.HEADER_LENGTH;
            Wire.putU16(buffer, l3 + 4, payloadLength > 0xFFFF ? 0 : (int) payloadLength);
            pseudo = InternetChecksum.pseudoHeaderIpv6(buffer, l3 + 8, EtherType.PROTOCOL_TCP, tcpLength);
        }
        int flags = Wire.u8(buffer, tcpAt + 13) | (lastFlags & (TcpView.FIN | TcpView.PSH));
        Wire.putU8(buffer, tcpAt + 13, flags);
        Wire.putU16(buffer, tcpAt + 16, 0);
        Wire.putU16(buffer, tcpAt + 16, partialChecksum ? InternetChecksum.fold(pseudo)
                : InternetChecksum.finish(pseudo + InternetChecksum.sum(buffer, tcpAt, tcpLength)));
        MemorySegment.copy(buffer, 0, target, offset, length);
        long result = length;
        count = 0;
        length = 0;
        return result;
    }
}
