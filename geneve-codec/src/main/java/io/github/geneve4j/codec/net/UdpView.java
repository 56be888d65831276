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
 * <p>{@code wrap} checks that the Length field covers the header and fits the bytes available.
 * Error offsets count from the first byte of the UDP header.
 */
public final class UdpView {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a datagram, and again for the next. */
    public UdpView() {
    }

    /** Length of the UDP header. */
    public static final int HEADER_LENGTH = 8;

    private static final int SOURCE_PORT = 0;
    private static final int DESTINATION_PORT = 2;
    private static final int LENGTH = 4;
    private static final int CHECKSUM = 6;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;

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
        int udpLength = Wire.u16(segment, offset + LENGTH);
        if (udpLength < HEADER_LENGTH || udpLength > length) {
            return error.fail(Reason.BAD_LENGTH, LENGTH, "UDP length %d (expected: 8..%d)", udpLength,
                    Math.min(length, 0xFFFF));
        }
        this.segment = segment;
        this.offset = offset;
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
        return Wire.u16(seg(), offset + SOURCE_PORT);
    }

    /** The destination port. */
    public int destinationPort() {
        return Wire.u16(seg(), offset + DESTINATION_PORT);
    }

    /** The Length field: header plus data. */
    public int length() {
        return Wire.u16(seg(), offset + LENGTH);
    }

    /** The checksum field as stored (0: none sent, over IPv4). */
    public int checksum() {
        return Wire.u16(seg(), offset + CHECKSUM);
    }

    /** Where the payload starts: right after the 8-byte header. */
    public long payloadOffset() {
        return offset + HEADER_LENGTH;
    }

    /** The payload bytes: the Length field less the header. */
    public int payloadLength() {
        return length() - HEADER_LENGTH;
    }

    /**
     * Whether the checksum verifies against a pseudo-header sum (see {@code pseudoHeaderSum} of the
     * IP views). A zero checksum means "not computed" and counts as valid here; whether that is
     * acceptable (it is not, by default, over IPv6) is the caller's policy.
     */
    public boolean checksumValid(long pseudoHeaderSum) {
        return checksum() == 0
                || InternetChecksum.fold(pseudoHeaderSum + InternetChecksum.sum(seg(), offset, length())) == 0xFFFF;
    }

    /** Writes the checksum field; returns {@code this}. */
    public UdpView checksum(int value) {
        Wire.putU16(seg(), offset + CHECKSUM, value);
        return this;
    }

    /** Writes a UDP header with the given checksum field. @return 8 */
    public static int write(MemorySegment target, long offset, int sourcePort, int destinationPort, int length,
            int checksum) {
        Wire.putU16(target, offset + SOURCE_PORT, sourcePort);
        Wire.putU16(target, offset + DESTINATION_PORT, destinationPort);
        Wire.putU16(target, offset + LENGTH, length);
        Wire.putU16(target, offset + CHECKSUM, checksum);
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
