package io.github.geneve4j.codec.tso;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

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
 * 0 (Linux BIG TCP), unless the coalescer is made without BIG TCP: then a merge stops where the
 * length field can still state the length. IP fragments (IPv4 MF or a fragment offset, an IPv6 Fragment header) are never
 * merged. Inner frames must be Ethernet (protocol type 0x6558).
 *
 * <p>{@link #offerDatagram} is the receive path's form: what it refuses (not mergeable TCP, a
 * fragment, a checksum that does not verify) comes back as {@link Offer#REFUSED} with a reason, at
 * no cost (no exception, no string, no allocation); {@link #add} and {@link #addDatagram} throw it.
 * Not thread-safe.
 */
public final class TcpCoalescer {

    private final MemorySegment buffer;
    private final boolean bigTcp;
    // made once: copying into a fresh MemorySegment.ofArray per frame allocated on every add
    private final MemorySegment geneveHeader = MemorySegment.ofArray(new byte[260]);
    private final MemorySegment outerAddresses = MemorySegment.ofArray(new byte[2 * Ipv6View.ADDRESS_LENGTH]);
    private int outerAddressesLength;
    private final GeneveFrameView view = new GeneveFrameView();
    private final GeneveView datagramView = new GeneveView();
    private final WrapError own = new WrapError();
    private int refusedBy;
    // set by add when a non-zero outer UDP checksum verified: the datagram's bounds and pseudo-header sum
    private boolean covered;
    private long coveredFrom;
    private long coveredTo;
    private long coveredPseudo;
    private final FrameLocator locator = new FrameLocator();
    private final TcpView tcp = new TcpView();
    private long tcpBase; // where the TCP header that tcp refused sits, from the inner frame's first byte
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
    /**
     * The held frame's headers as a byte mask, 0 over the fields a merge may change and 0xFF over the
     * rest, read eight bytes at a time with the headers: one XOR and AND per word where a
     * {@code mismatch} per unchanged range cost a call each. Headers longer than this are compared
     * range by range.
     */
    private final MemorySegment headerMask = MemorySegment.ofArray(new byte[MASKED_HEADERS + 8]);
    private static final int MASKED_HEADERS = 256;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    /**
     * A coalescer whose merged frames may grow past an IP length field's reach (Linux BIG TCP: the
     * field is then 0 and the frame's length governs).
     *
     * @param capacity the largest merged inner frame, in bytes
     */
    public TcpCoalescer(int capacity) {
        this(capacity, true);
    }

    /**
     * A coalescer whose merged frames may, or may not, grow past an IP length field's reach.
     *
     * @param capacity the largest merged inner frame, in bytes
     * @param bigTcp whether a merged IP packet may exceed what its length field can state (65535
     *     bytes of IPv4 packet, 65535 bytes of IPv6 payload); false for a receiver that cannot take
     *     BIG TCP, such as a TAP device's GSO write
     */
    public TcpCoalescer(int capacity, boolean bigTcp) {
        this(MemorySegment.ofArray(new byte[capacity]), bigTcp);
    }

    /**
     * A coalescer that builds the merged frame in {@code buffer}, from its first byte, so that
     * {@link #finishInPlace} hands it over without a copy (a receive path writes it to its device
     * from there: give a slice with room for the device's header in front of it).
     *
     * <pre>{@code
     * MemorySegment merged = arena.allocate(64 + 262_144);
     * TcpCoalescer gro = new TcpCoalescer(merged.asSlice(64), false);
     * // ... offerDatagram ...
     * long n = gro.finishInPlace(true); // the frame: n bytes at merged offset 64
     * }</pre>
     *
     * @param buffer where merged frames are built; its size is the largest merged inner frame. The
     *     coalescer owns its content: do not write to it
     * @param bigTcp as {@link #TcpCoalescer(int, boolean)}
     */
    public TcpCoalescer(MemorySegment buffer, boolean bigTcp) {
        if (buffer.isReadOnly()) {
            throw new IllegalArgumentException("a read-only buffer");
        }
        this.buffer = buffer;
        this.bigTcp = bigTcp;
    }

    /** Number of frames merged so far. */
    public int frameCount() {
        return count;
    }

    /**
     * The TCP payload of the first segment merged (the sender's segment size, a GSO write's
     * {@code gso_size}). Describes the frame being built, or after {@link #finish} the frame it
     * wrote, until the next add; 0 before any. With {@link #headerLength()}, {@link #checksumStart()}
     * and {@link #ipVersion()} it is what a GSO write of the merged frame to a TAP device needs
     * (Linux's {@code virtio_net_hdr}):
     *
     * <pre>{@code
     * long n = gro.finishInPlace(true);   // the TCP checksum field holds the pseudo-header sum
     * // hdr: the caller's virtio_net_hdr in front of the frame
     * hdr.gsoType(gro.ipVersion() == IpVersion.IPV4 ? GSO_TCPV4 : GSO_TCPV6)
     *    .gsoSize(gro.segmentSize()).hdrLen(gro.headerLength())
     *    .csumStart(gro.checksumStart()).csumOffset(TcpView.CHECKSUM_OFFSET);
     * }</pre>
     */
    public int segmentSize() {
        return (int) firstPayload;
    }

    /**
     * Bytes of the merged frame's Ethernet, IP and TCP headers, options included: where its TCP
     * payload starts (a GSO write's {@code hdr_len}). Describes the same frame as
     * {@link #segmentSize()}; 0 before any add.
     */
    public int headerLength() {
        return headers;
    }

    /**
     * Offset of the merged frame's TCP header from its first byte: where a partial checksum starts
     * (a GSO write's {@code csum_start}; its {@code csum_offset} is {@link TcpView#CHECKSUM_OFFSET}).
     * Describes the same frame as {@link #segmentSize()}; 0 before any add.
     */
    public int checksumStart() {
        return tcpAt;
    }

    /**
     * The merged frame's IP version (a GSO write's {@code VIRTIO_NET_HDR_GSO_TCPV4} or
     * {@code _TCPV6}). Describes the same frame as {@link #segmentSize()}; null before any add.
     */
    public IpVersion ipVersion() {
        return headers == 0 ? null : v4 ? IpVersion.IPV4 : IpVersion.IPV6;
    }

    /**
     * Adds one Geneve frame.
     *
     * <p>With a non-zero outer UDP checksum, the datagram is summed once: that sum, less the UDP
     * pseudo-header and the bytes around the inner TCP segment, is the segment's own sum, so the
     * inner TCP checksum is decided without a second pass (what Linux does with
     * {@code CHECKSUM_COMPLETE} for tunnels); with a zero outer checksum the segment is summed.
     *
     * @return {@code false} if the frame cannot be merged with those already held (nothing changes
     *     then: {@link #finish} and add it again)
     * @throws GeneveFormatException if the frame is not a valid Geneve frame carrying Ethernet/IP/TCP
     *     ({@code BAD_CHECKSUM} when its outer UDP checksum, if not zero, its inner IPv4 header checksum
     *     or its inner TCP checksum does not verify)
     */
    public boolean add(MemorySegment frame, long offset, long frameLength) {
        view.wrap(frame, offset, frameLength);
        UdpView udp = view.udp();
        covered = false;
        if (udp.checksum() != 0) {
            // one pass over the datagram: the inner TCP checksum is then decided from this sum and
            // the bytes around the segment (see tcpChecksumValid); a zero checksum (OVS's default)
            // covers nothing and the TCP segment is summed itself
            long udpPseudo = view.locator().pseudoHeaderSum(EtherType.PROTOCOL_UDP, udp.datagramLength());
            long sum = udpPseudo + InternetChecksum.sum(frame, udp.offset(), udp.datagramLength());
            if (InternetChecksum.fold(sum) != 0xFFFF) {
                throw GeneveFormatException.stackless(Reason.BAD_CHECKSUM, udp.offset() + UdpView.CHECKSUM_OFFSET - offset,
                        "outer UDP checksum 0x%04x does not verify".formatted(udp.checksum()));
            }
            covered = true;
            coveredFrom = udp.offset();
            coveredTo = udp.offset() + udp.datagramLength();
            coveredPseudo = udpPseudo;
        }
        int udpPorts = (view.udp().sourcePort() << 16) | view.udp().destinationPort();
        boolean outerV4 = view.ipVersion() == IpVersion.IPV4;
        long addresses = outerV4 ? view.ipv4().sourceOffset() : view.ipv6().sourceOffset();
        int addressesLength = 2 * (outerV4 ? Ipv4View.ADDRESS_LENGTH : Ipv6View.ADDRESS_LENGTH); // source, destination
        return switch (merge(frame, view.geneve(), udpPorts, addresses, addressesLength, view.innerOffset(),
                view.innerLength())) {
            case MERGED -> true;
            case NOT_NEXT -> false;
            case REFUSED -> throw refusal();
        };
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
        return switch (offerDatagram(datagram, offset, length)) {
            case MERGED -> true;
            case NOT_NEXT -> false;
            case REFUSED -> throw refusal();
        };
    }

    /** What {@link #offerDatagram} did with a datagram. */
    public enum Offer {
        /** Merged into the frame being built (or started it). */
        MERGED,
        /** It does not follow on from what is held: {@link #finish} and offer it again. Nothing changed. */
        NOT_NEXT,
        /**
         * Not TCP the coalescer may merge: not Ethernet/IPv4 or IPv6/TCP, an IP fragment, a checksum
         * that does not verify, a malformed header ({@link #refusalReason()} says which). Nothing
         * changed: deliver it as it is, after what is held.
         */
        REFUSED
    }

    /**
     * Offers one Geneve datagram, as {@link #addDatagram}, without throwing for what it refuses:
     * the receive path's form, where a datagram that is not mergeable TCP (ARP, ICMP, a fragment, a
     * bad checksum) is ordinary and must cost no exception, string or allocation.
     *
     * @throws IllegalArgumentException if {@code offset} and {@code length} are outside the segment
     */
    public Offer offerDatagram(MemorySegment datagram, long offset, long length) {
        Wire.checkTarget(datagram.byteSize(), offset, length, "datagram");
        // a socket strips the UDP header: its checksum (the kernel's to verify) is not at hand here
        covered = false;
        if (!datagramView.tryWrap(datagram, offset)) {
            return refuse(GENEVE);
        }
        if (datagramView.headerLength() > length) {
            return refuse(Reason.TRUNCATED, 0, "Geneve header of %d bytes in a datagram of %d bytes",
                    datagramView.headerLength(), length);
        }
        long inner = datagramView.payloadOffset();
        return merge(datagram, datagramView, 0, 0, 0, inner, offset + length - inner);
    }

    /** Why the last offer was {@link Offer#REFUSED} (null before any). */
    public Reason refusalReason() {
        return switch (refusedBy) {
            case GENEVE -> datagramView.errorReason();
            case LOCATOR -> locator.errorReason();
            case TCP -> tcp.errorReason();
            default -> own.reason();
        };
    }

    /** The last refusal as the exception {@link #add} and {@link #addDatagram} throw (made only for them). */
    private GeneveFormatException refusal() {
        return switch (refusedBy) {
            case GENEVE -> GeneveFormatException.stackless(datagramView.errorReason(), datagramView.errorOffset(),
                    datagramView.errorMessage());
            case LOCATOR -> GeneveFormatException.stackless(locator.errorReason(), locator.errorOffset(),
                    locator.errorMessage());
            case TCP -> GeneveFormatException.stackless(tcp.errorReason(), tcpBase + tcp.errorOffset(), tcp.errorMessage());
            default -> GeneveFormatException.stackless(own.reason(), own.offset(), own.message());
        };
    }

    // who refused: the coalescer itself, or one of its views (whose reason, offset and message stand)
    private static final int OWN = 0;
    private static final int GENEVE = 1;
    private static final int LOCATOR = 2;
    private static final int TCP = 3;

    private static final String NOT_ETHERNET = "Geneve protocol type 0x%04x (expected: 0x6558)";
    private static final String NOT_TCP = "inner IP protocol %d (expected: 6)";
    private static final String BAD_TCP_CHECKSUM = "inner TCP checksum 0x%04x does not verify";
    private static final String BAD_IPV4_CHECKSUM = "inner IPv4 header checksum 0x%04x does not verify";

    private Offer refuse(Reason reason, long at, String template, long value, long other) {
        own.fail(reason, at, template, value, other);
        refusedBy = OWN;
        return Offer.REFUSED;
    }

    private Offer refuse(Reason reason, long at, String template, long value) {
        return refuse(reason, at, template, value, 0);
    }

    private Offer refuse(int view) {
        refusedBy = view;
        return Offer.REFUSED;
    }

    private Offer merge(MemorySegment frame, GeneveView geneve, int udpPorts, long addresses, int addressesLength,
            long inner, long innerLength) {
        int gl = geneve.headerLength();
        long g = geneve.offset();
        if (geneve.protocolType() != EtherType.TRANSPARENT_ETHERNET) {
            return refuse(Reason.UNSUPPORTED_PROTOCOL, Geneve.PROTOCOL_TYPE_OFFSET, NOT_ETHERNET, geneve.protocolType());
        }
        if (!locator.tryWrap(FrameLocator.Link.ETHERNET, frame, inner, innerLength)) {
            return refuse(LOCATOR);
        }
        boolean isV4 = locator.ipVersion() == IpVersion.IPV4;
        Ipv4View ipv4 = locator.ipv4();
        long tcpOffset = locator.transportOffset();
        long tcpLength = locator.transportLength();
        if (locator.protocol() != EtherType.PROTOCOL_TCP) {
            return refuse(Reason.UNSUPPORTED_PROTOCOL, tcpOffset - inner, NOT_TCP, locator.protocol());
        }
        long pseudo = locator.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
        if (!tcp.tryWrap(frame, tcpOffset, tcpLength)) {
            tcpBase = tcpOffset - inner;
            return refuse(TCP);
        }
        if (!tcpChecksumValid(frame, pseudo, tcpOffset, tcpLength)) {
            return refuse(Reason.BAD_CHECKSUM, tcpOffset - inner + TcpView.CHECKSUM_OFFSET, BAD_TCP_CHECKSUM, tcp.checksum());
        }
        // finish() writes a fresh IPv4 header checksum: a header damaged on the way must not get one
        if (isV4 && !ipv4.checksumValid()) {
            return refuse(Reason.BAD_CHECKSUM, ipv4.offset() - inner + Ipv4View.CHECKSUM_OFFSET, BAD_IPV4_CHECKSUM,
                    ipv4.checksum());
        }
        int h = (int) (tcp.payloadOffset() - inner);
        long payload = tcp.payloadLength();
        if (count == 0) {
            if (h + payload > buffer.byteSize()) {
                return Offer.NOT_NEXT;
            }
            geneveLength = gl;
            MemorySegment.copy(frame, g, geneveHeader, 0, gl);
            ports = udpPorts;
            outerAddressesLength = addressesLength;
            MemorySegment.copy(frame, addresses, outerAddresses, 0, addressesLength);
            v4 = isV4;
            l3 = locator.linkHeaderLength();
            tcpAt = (int) (tcpOffset - inner);
            headers = h;
            if (h <= MASKED_HEADERS) {
                maskHeaders(h);
            }
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
            return Offer.MERGED;
        }
        if (closed || payload == 0 || payload > firstPayload || gl != geneveLength || udpPorts != ports || isV4 != v4
                || h != headers
                || tcp.sequence() != nextSeq || (tcp.flags() & TcpView.CWR) != 0
                || ((tcp.flags() ^ lastFlags) & ~(TcpView.FIN | TcpView.PSH | TcpView.CWR)) != 0
                || length + payload > buffer.byteSize()
                // without BIG TCP a merge stops where the IP length field can still state the length
                // (an untagged IPv4 frame of 65,553 bytes would be 65,539 bytes of IP)
                || (!bigTcp && length + payload - l3 - (isV4 ? 0 : Ipv6View.HEADER_LENGTH) > 0xFFFF)
                || (isV4 && ipv4.identification() != ((Wire.u16(buffer, l3 + Ipv4View.IDENTIFICATION_OFFSET) + count) & 0xFFFF))) {
            return Offer.NOT_NEXT;
        }
        if (addressesLength != outerAddressesLength
                || MemorySegment.mismatch(frame, addresses, addresses + addressesLength, outerAddresses, 0, addressesLength) != -1
                || MemorySegment.mismatch(frame, g, g + gl, geneveHeader, 0, gl) != -1
                || !sameHeaders(frame, inner, h)) {
            return Offer.NOT_NEXT;
        }
        MemorySegment.copy(frame, tcp.payloadOffset(), buffer, length, payload);
        length += payload;
        nextSeq = (nextSeq + payload) & 0xFFFF_FFFFL;
        lastFlags = tcp.flags();
        closed = (lastFlags & (TcpView.FIN | TcpView.PSH)) != 0 || payload < firstPayload;
        count++;
        return Offer.MERGED;
    }

    /**
     * Whether the inner TCP checksum verifies. When {@link #add} has just verified a non-zero outer
     * UDP checksum, the datagram's words, with the UDP pseudo-header, sum to 0 (mod 0xFFFF): the TCP
     * segment then sums to minus the UDP pseudo-header and the datagram's bytes before and after the
     * segment (headers, Ethernet padding), so only those are summed. One's complement sums of
     * non-zero words are never +0, and the TCP pseudo-header is never zero, so the folded result
     * equals the full pass's exactly (not only modulo 0xFFFF). The segment starts at an even offset
     * in the datagram (UDP, Geneve, Ethernet, VLAN tags and IP headers all have even lengths); bytes
     * after it must too, else (an odd-length segment with Ethernet padding) and for a datagram
     * without the outer checksum, the segment is summed.
     */
    private boolean tcpChecksumValid(MemorySegment frame, long pseudo, long tcpOffset, long tcpLength) {
        long tcpEnd = tcpOffset + tcpLength;
        if (!covered || (tcpEnd < coveredTo && ((tcpEnd - coveredFrom) & 1) != 0)) {
            return tcp.checksumValid(pseudo);
        }
        int around = InternetChecksum.fold(coveredPseudo + InternetChecksum.sum(frame, coveredFrom, tcpOffset - coveredFrom)
                + InternetChecksum.sum(frame, tcpEnd, coveredTo - tcpEnd));
        // 0xFFFF - around is -around in one's complement; + pseudo is the TCP segment's own check
        return InternetChecksum.fold(pseudo + (0xFFFF - around)) == 0xFFFF;
    }

    /**
     * Whether the first {@code h} bytes at {@code inner} equal the held frame's headers, except the
     * fields a merge may change: the IPv4 Total Length, Identification and header checksum, or the
     * IPv6 Payload Length; the TCP sequence number, flags and checksum.
     */
    private boolean sameHeaders(MemorySegment frame, long inner, int h) {
        if (h <= MASKED_HEADERS && h >= 8) {
            // word by word; the last word ends at h (it may overlap the one before)
            for (int o = 0; ; o = Math.min(o + 8, h - 8)) {
                long differ = (frame.get(WORD, inner + o) ^ buffer.get(WORD, o)) & headerMask.get(WORD, o);
                if (differ != 0) {
                    return false;
                }
                if (o == h - 8) {
                    return true;
                }
            }
        }
        // each range runs from one field the merge keeps to the next one it may change
        boolean ip = v4
                ? same(frame, inner, 0, l3 + Ipv4View.TOTAL_LENGTH_OFFSET)
                        && same(frame, inner, l3 + Ipv4View.FLAGS_OFFSET, l3 + Ipv4View.CHECKSUM_OFFSET)
                        && same(frame, inner, l3 + Ipv4View.SOURCE_OFFSET, tcpAt)
                : same(frame, inner, 0, l3 + Ipv6View.PAYLOAD_LENGTH_OFFSET)
                        && same(frame, inner, l3 + Ipv6View.NEXT_HEADER_OFFSET, tcpAt);
        return ip && same(frame, inner, tcpAt, tcpAt + TcpView.SEQUENCE_OFFSET)
                && same(frame, inner, tcpAt + TcpView.ACKNOWLEDGMENT_OFFSET, tcpAt + TcpView.FLAGS_OFFSET)
                && same(frame, inner, tcpAt + TcpView.WINDOW_OFFSET, tcpAt + TcpView.CHECKSUM_OFFSET)
                && same(frame, inner, tcpAt + TcpView.URGENT_POINTER_OFFSET, h);
    }

    /** Builds {@link #headerMask} for headers of {@code h} bytes: the ranges {@link #sameHeaders} compares. */
    private void maskHeaders(int h) {
        for (int o = 0; o < h; o += 8) { // (no asSlice().fill(): a slice per frame would allocate)
            headerMask.set(WORD, o, -1L);
        }
        if (v4) {
            unmask(l3 + Ipv4View.TOTAL_LENGTH_OFFSET, 2);
            unmask(l3 + Ipv4View.IDENTIFICATION_OFFSET, 2);
            unmask(l3 + Ipv4View.CHECKSUM_OFFSET, 2);
        } else {
            unmask(l3 + Ipv6View.PAYLOAD_LENGTH_OFFSET, 2);
        }
        unmask(tcpAt + TcpView.SEQUENCE_OFFSET, 4);
        unmask(tcpAt + TcpView.FLAGS_OFFSET, 1);
        unmask(tcpAt + TcpView.CHECKSUM_OFFSET, 2);
    }

    private void unmask(int from, int bytes) {
        for (int i = from; i < from + bytes; i++) {
            headerMask.set(ValueLayout.JAVA_BYTE, i, (byte) 0);
        }
    }

    private boolean same(MemorySegment frame, long inner, int from, int to) {
        return MemorySegment.mismatch(frame, inner + from, inner + to, buffer, from, to) == -1;
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
     * {@code VIRTIO_NET_HDR_F_NEEDS_CSUM} with {@code csum_start} at {@link #checksumStart()} and
     * {@code csum_offset} {@link TcpView#CHECKSUM_OFFSET}).
     *
     * @return its length, or 0 if nothing was added
     * @throws IllegalArgumentException if the target is too small
     */
    public long finish(MemorySegment target, long offset, boolean partialChecksum) {
        if (count == 0) {
            return 0;
        }
        Wire.checkTarget(target.byteSize(), offset, length, "target");
        long result = finishInPlace(partialChecksum);
        MemorySegment.copy(buffer, 0, target, offset, result);
        return result;
    }

    /**
     * Completes the merged frame where it was built, from the first byte of the coalescer's buffer
     * (the one given to {@link #TcpCoalescer(MemorySegment, boolean)}), and starts afresh: the
     * frame stays there, unchanged, until the next add or offer. As {@link #finish(MemorySegment,
     * long, boolean)} without its copy.
     *
     * @return its length, or 0 if nothing was added
     */
    public long finishInPlace(boolean partialChecksum) {
        if (count == 0) {
            return 0;
        }
        long tcpLength = length - tcpAt;
        long ipLength = length - l3;
        long pseudo;
        if (v4) {
            Wire.putU16(buffer, l3 + Ipv4View.TOTAL_LENGTH_OFFSET, ipLength > 0xFFFF ? 0 : (int) ipLength);
            Wire.putU16(buffer, l3 + Ipv4View.CHECKSUM_OFFSET, 0);
            Wire.putU16(buffer, l3 + Ipv4View.CHECKSUM_OFFSET, InternetChecksum.checksum(buffer, l3, tcpAt - l3));
            pseudo = InternetChecksum.pseudoHeaderIpv4(Wire.u32(buffer, l3 + Ipv4View.SOURCE_OFFSET),
                    Wire.u32(buffer, l3 + Ipv4View.DESTINATION_OFFSET),
                    EtherType.PROTOCOL_TCP, tcpLength);
        } else {
            long payloadLength = ipLength - Ipv6View.HEADER_LENGTH;
            Wire.putU16(buffer, l3 + Ipv6View.PAYLOAD_LENGTH_OFFSET, payloadLength > 0xFFFF ? 0 : (int) payloadLength);
            pseudo = InternetChecksum.pseudoHeaderIpv6(buffer, l3 + Ipv6View.SOURCE_OFFSET, EtherType.PROTOCOL_TCP,
                    tcpLength);
        }
        int flags = Wire.u8(buffer, tcpAt + TcpView.FLAGS_OFFSET) | (lastFlags & (TcpView.FIN | TcpView.PSH));
        Wire.putU8(buffer, tcpAt + TcpView.FLAGS_OFFSET, flags);
        Wire.putU16(buffer, tcpAt + TcpView.CHECKSUM_OFFSET, 0);
        Wire.putU16(buffer, tcpAt + TcpView.CHECKSUM_OFFSET, partialChecksum ? InternetChecksum.fold(pseudo)
                : InternetChecksum.finish(pseudo + InternetChecksum.sum(buffer, tcpAt, tcpLength)));
        long result = length;
        count = 0;
        length = 0;
        return result;
    }
}
