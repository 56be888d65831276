package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over a UDP header (RFC 768).
 *
 * <pre>{@code
 * UdpView udp = new UdpView().wrap(frame, ip.payloadOffset(), ip.payloadLength());
 * if (udp.destinationPort() == Geneve.UDP_PORT) geneve.wrap(frame, udp.payloadOffset());
 * }</pre>
 *
 * <p>{@code wrap} checks that the Length field covers the header and fits the bytes available. A
 * Length of 0 with more than 65535 bytes available is a datagram too long for the field (a Linux
 * BIG TCP super-frame through a UDP tunnel, whose IP length field is 0 too; an IPv6 jumbogram, RFC
 * 2675 §4): its length is then the bytes available, bounded by the IP packet ({@link #datagramLength()}),
 * as tcpdump takes it. Any other Length of 0 is {@code BAD_LENGTH}. Error offsets count from the
 * first byte of the UDP header.
 */
public final class UdpView {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a datagram, and again for the next. */
    public UdpView() {
    }

    /** Length of the UDP header. */
    public static final int HEADER_LENGTH = 8;

    // Field offsets from the first byte of the header (RFC 768), for code that reads or rewrites a
    // field in place without a view; every field is 16 bits.
    /** Offset of the Source Port field. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the Destination Port field. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the Length field: header and data, in bytes. */
    public static final int LENGTH_OFFSET = 4;
    /** Offset of the Checksum field (0: not computed, over IPv4). */
    public static final int CHECKSUM_OFFSET = 6;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;
    private long datagramLength;

    /**
     * Wraps the datagram at {@code offset} with {@code length} bytes available.
     *
     * @throws GeneveFormatException {@code TRUNCATED} or {@code BAD_LENGTH}
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public UdpView wrap(MemorySegment segment, long offset, long length) {
        if (!tryWrap(segment, offset, length)) {
            throw error.exception();
        }
        return this;
    }

    /**
     * Like {@link #wrap(MemorySegment, long, long)}, but returns false on bad input (see
     * {@link #errorReason()}) instead of throwing; allocates nothing either way.
     *
     * @throws IllegalArgumentException if the region lies outside the segment (the caller's mistake)
     */
    public boolean tryWrap(MemorySegment segment, long offset, long length) {
        this.segment = null; // until this wrap succeeds: a failed one leaves the view unwrapped
        Wire.checkTarget(segment.byteSize(), offset, length, "datagram");
        if (length < HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, 0, "UDP datagram of %d bytes (expected: 8+ bytes)", length, 0);
        }
        int udpLength = Wire.u16(segment, offset + LENGTH_OFFSET);
        boolean beyondField = udpLength == 0 && length > 0xFFFF;
        if (!beyondField && (udpLength < HEADER_LENGTH || udpLength > length)) {
            return error.fail(Reason.BAD_LENGTH, LENGTH_OFFSET, "UDP length %d (expected: 8..%d)", udpLength,
                    Math.min(length, 0xFFFF));
        }
        this.segment = segment;
        this.offset = offset;
        this.datagramLength = beyondField ? length : udpLength;
        return true;
    }

    /** Why the last {@code tryWrap} returned false (null before any failure). */
    public Reason errorReason() {
        return error.reason();
    }

    /** Where the last {@code tryWrap} failure was found, from the first byte given to it. */
    public long errorOffset() {
        return error.offset();
    }

    /** The last {@code tryWrap} failure's message, made when asked for. */
    public String errorMessage() {
        return error.message();
    }

    /** Where the wrapped header starts in its memory segment. */
    public long offset() {
        return offset;
    }

    /** The source port. */
    public int sourcePort() {
        return Wire.u16(seg(), offset + SOURCE_PORT_OFFSET);
    }

    /** The destination port. */
    public int destinationPort() {
        return Wire.u16(seg(), offset + DESTINATION_PORT_OFFSET);
    }

    /** The Length field as sent: header plus data (0 for a datagram over 65535 bytes, see {@link #bigTcp()}). */
    public int length() {
        return Wire.u16(seg(), offset + LENGTH_OFFSET);
    }

    /** The datagram's length, header included: the Length field, or the bytes available when it is 0 ({@link #bigTcp()}). */
    public long datagramLength() {
        seg();
        return datagramLength;
    }

    /**
     * Whether the Length field is 0 and the IP packet's length governs: a datagram of more than
     * 65535 bytes (Linux BIG TCP through a UDP tunnel).
     */
    public boolean bigTcp() {
        return length() == 0;
    }

    /** The checksum field as stored (0: none sent, over IPv4). */
    public int checksum() {
        return Wire.u16(seg(), offset + CHECKSUM_OFFSET);
    }

    /** Where the payload starts: right after the 8-byte header. */
    public long payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** The payload bytes: {@link #datagramLength()} less the header. */
    public int payloadLength() {
        seg();
        return (int) (datagramLength - HEADER_LENGTH);
    }

    /**
     * Whether the checksum verifies against a pseudo-header sum (see {@code pseudoHeaderSum} of the
     * IP views). A zero checksum means "not computed" and counts as valid here; whether that is
     * acceptable (it is not, by default, over IPv6) is the caller's policy.
     */
    public boolean checksumValid(long pseudoHeaderSum) {
        return checksum() == 0
                || InternetChecksum.fold(pseudoHeaderSum + InternetChecksum.sum(seg(), offset, datagramLength)) == 0xFFFF;
    }

    /** Writes the checksum field; returns {@code this}. */
    public UdpView checksum(int value) {
        Wire.putU16(seg(), offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Writes a UDP header with the given checksum field. @return 8 */
    public static int write(MemorySegment target, long offset, int sourcePort, int destinationPort, int length,
            int checksum) {
        Wire.putU16(target, offset + SOURCE_PORT_OFFSET, sourcePort);
        Wire.putU16(target, offset + DESTINATION_PORT_OFFSET, destinationPort);
        Wire.putU16(target, offset + LENGTH_OFFSET, length);
        Wire.putU16(target, offset + CHECKSUM_OFFSET, checksum);
        return HEADER_LENGTH;
    }

    /** The wrapped memory; throws when the view wraps nothing (never wrapped, or the last tryWrap failed). */
    private MemorySegment seg() {
        MemorySegment s = segment;
        if (s == null) {
            throw new IllegalStateException("UdpView is not wrapped: wrap it, or check what tryWrap returned");
        }
        return s;
    }
}
