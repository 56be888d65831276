package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over a TCP header (RFC 9293) with its options.
 *
 * <pre>{@code
 * TcpView tcp = new TcpView().wrap(frame, ip.payloadOffset(), ip.payloadLength());
 * boolean last = tcp.fin();
 * }</pre>
 *
 * <p>{@code wrap} checks the data offset against the bytes available. Error offsets count from the
 * first byte of the TCP header.
 */
public final class TcpView {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a segment, and again for the next. */
    public TcpView() {
    }

    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** FIN flag bit in {@link #flags()}. */
    public static final int FIN = 0x01;
    /** SYN flag bit. */
    public static final int SYN = 0x02;
    /** RST flag bit. */
    public static final int RST = 0x04;
    /** PSH flag bit. */
    public static final int PSH = 0x08;
    /** ACK flag bit. */
    public static final int ACK = 0x10;
    /** URG flag bit. */
    public static final int URG = 0x20;
    /** ECE flag bit. */
    public static final int ECE = 0x40;
    /** CWR flag bit. */
    public static final int CWR = 0x80;

    // Field offsets from the first byte of the header (RFC 9293 §3.1), for code that reads or
    // rewrites a field in place without a view (a segmenter's sequence numbers, flags and checksums).
    /** Offset of the Source Port field, 16 bits. */
    public static final int SOURCE_PORT_OFFSET = 0;
    /** Offset of the Destination Port field, 16 bits. */
    public static final int DESTINATION_PORT_OFFSET = 2;
    /** Offset of the Sequence Number field, 32 bits. */
    public static final int SEQUENCE_OFFSET = 4;
    /** Offset of the Acknowledgment Number field, 32 bits. */
    public static final int ACKNOWLEDGMENT_OFFSET = 8;
    /** Offset of the byte holding the Data Offset (its upper 4 bits: the header length in 32-bit words). */
    public static final int DATA_OFFSET_OFFSET = 12;
    /** Offset of the byte holding the eight flags CWR..FIN (see {@link #flags()}). */
    public static final int FLAGS_OFFSET = 13;
    /** Offset of the Window field, 16 bits. */
    public static final int WINDOW_OFFSET = 14;
    /** Offset of the Checksum field, 16 bits (a partial checksum's {@code csum_offset}). */
    public static final int CHECKSUM_OFFSET = 16;
    /** Offset of the Urgent Pointer field, 16 bits. */
    public static final int URGENT_POINTER_OFFSET = 18;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;
    private long length;

    /**
     * Wraps the segment of {@code length} bytes (header and data) at {@code offset}.
     *
     * @throws GeneveFormatException {@code TRUNCATED} or {@code BAD_LENGTH} (data offset below 5 or
     *     past the bytes available)
     * @throws IllegalArgumentException if the region lies outside the memory segment
     */
    public TcpView wrap(MemorySegment segment, long offset, long length) {
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
        Wire.checkTarget(segment.byteSize(), offset, length, "segment");
        if (length < MIN_HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, 0, "TCP segment of %d bytes (expected: 20+ bytes)", length, 0);
        }
        int headerLength = (Wire.u8(segment, offset + DATA_OFFSET_OFFSET) >>> 4) * 4;
        if (headerLength < MIN_HEADER_LENGTH || headerLength > length) {
            return error.fail(Reason.BAD_LENGTH, DATA_OFFSET_OFFSET, "TCP data offset %d (expected: 5..%d)", headerLength / 4,
                    Math.min(15, length / 4));
        }
        this.segment = segment;
        this.offset = offset;
        this.length = length;
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

    /** The sequence number (32 bits, unsigned). */
    public long sequence() {
        return Wire.u32(seg(), offset + SEQUENCE_OFFSET);
    }

    /** The acknowledgment number (32 bits, unsigned). */
    public long acknowledgment() {
        return Wire.u32(seg(), offset + ACKNOWLEDGMENT_OFFSET);
    }

    /** Header length in bytes (data offset × 4), options included. */
    public int headerLength() {
        return (Wire.u8(seg(), offset + DATA_OFFSET_OFFSET) >>> 4) * 4;
    }

    /** The eight flag bits CWR..FIN (see the constants). */
    public int flags() {
        return Wire.u8(seg(), offset + FLAGS_OFFSET);
    }

    /** Whether the FIN flag is set. */
    public boolean fin() {
        return (flags() & FIN) != 0;
    }

    /** Whether the PSH flag is set. */
    public boolean psh() {
        return (flags() & PSH) != 0;
    }

    /** Whether the CWR flag is set. */
    public boolean cwr() {
        return (flags() & CWR) != 0;
    }

    /** The window field (unscaled). */
    public int window() {
        return Wire.u16(seg(), offset + WINDOW_OFFSET);
    }

    /** The checksum field as stored. */
    public int checksum() {
        return Wire.u16(seg(), offset + CHECKSUM_OFFSET);
    }

    /** The urgent pointer field. */
    public int urgentPointer() {
        return Wire.u16(seg(), offset + URGENT_POINTER_OFFSET);
    }

    /** Where the segment's data starts: after the header and its options. */
    public long payloadOffset() {
        return offset + headerLength();
    }

    /** Segment length (header and data) as wrapped. */
    public long segmentLength() {
        return length;
    }

    /** The segment's data bytes: its length as wrapped less the header. */
    public long payloadLength() {
        return length - headerLength();
    }

    /** Whether the checksum verifies against a pseudo-header sum from the IP view. */
    public boolean checksumValid(long pseudoHeaderSum) {
        return InternetChecksum.fold(pseudoHeaderSum + InternetChecksum.sum(seg(), offset, length)) == 0xFFFF;
    }

    /** Writes the sequence number; returns {@code this}. */
    public TcpView sequence(long value) {
        Wire.putU32(seg(), offset + SEQUENCE_OFFSET, value);
        return this;
    }

    /** Writes the eight flag bits CWR..FIN; returns {@code this}. */
    public TcpView flags(int value) {
        Wire.putU8(seg(), offset + FLAGS_OFFSET, value);
        return this;
    }

    /** Writes the checksum field; returns {@code this}. */
    public TcpView checksum(int value) {
        Wire.putU16(seg(), offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Recomputes the checksum over the wrapped segment with the given pseudo-header sum. */
    public TcpView updateChecksum(long pseudoHeaderSum) {
        checksum(0);
        return checksum(InternetChecksum.finish(pseudoHeaderSum + InternetChecksum.sum(seg(), offset, length)));
    }

    /**
     * Writes a TCP header without options or with room for them ({@code headerLength} 20..60, a
     * multiple of 4; the option bytes are the caller's to fill), checksum and urgent pointer 0.
     * Compute the checksum once the payload is in place, with {@link #updateChecksum(long)}:
     *
     * <pre>{@code
     * int n = TcpView.write(frame, at, 40000, 5201, seq, ack, TcpView.ACK | TcpView.PSH, 502, 20);
     * new TcpView().wrap(frame, at, n + payloadLength).updateChecksum(ip.pseudoHeaderSum(6, n + payloadLength));
     * }</pre>
     *
     * @return {@code headerLength}
     * @throws IllegalArgumentException for a header length out of range or a field out of its width
     */
    public static int write(MemorySegment target, long offset, int sourcePort, int destinationPort, long sequence,
            long acknowledgment, int flags, int window, int headerLength) {
        if (headerLength < MIN_HEADER_LENGTH || headerLength > 60 || (headerLength & 3) != 0) {
            throw new IllegalArgumentException("TCP header length " + headerLength
                    + " (expected: 20..60, a multiple of 4)");
        }
        if ((sourcePort | destinationPort | window) >>> 16 != 0 || flags >>> 8 != 0
                || (sequence | acknowledgment) >>> 32 != 0) {
            throw new IllegalArgumentException("TCP field out of range: ports %d, %d, window %d, flags 0x%x, seq %d, ack %d"
                    .formatted(sourcePort, destinationPort, window, flags, sequence, acknowledgment));
        }
        Wire.checkTarget(target.byteSize(), offset, headerLength, "header");
        Wire.putU16(target, offset + SOURCE_PORT_OFFSET, sourcePort);
        Wire.putU16(target, offset + DESTINATION_PORT_OFFSET, destinationPort);
        Wire.putU32(target, offset + SEQUENCE_OFFSET, sequence);
        Wire.putU32(target, offset + ACKNOWLEDGMENT_OFFSET, acknowledgment);
        Wire.putU8(target, offset + DATA_OFFSET_OFFSET, (headerLength / 4) << 4);
        Wire.putU8(target, offset + FLAGS_OFFSET, flags);
        Wire.putU16(target, offset + WINDOW_OFFSET, window);
        Wire.putU16(target, offset + CHECKSUM_OFFSET, 0);
        Wire.putU16(target, offset + URGENT_POINTER_OFFSET, 0);
        return headerLength;
    }

    /** The wrapped memory; throws when the view wraps nothing (never wrapped, or the last tryWrap failed). */
    private MemorySegment seg() {
        MemorySegment s = segment;
        if (s == null) {
            throw new IllegalStateException("TcpView is not wrapped: wrap it, or check what tryWrap returned");
        }
        return s;
    }
}
