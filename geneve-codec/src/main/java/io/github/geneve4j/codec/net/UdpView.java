package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
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

    /** Length of the UDP header. */
    public static final int HEADER_LENGTH = 8;

    private MemorySegment segment;
    private long offset;

    /**
     * Wraps the datagram at {@code offset} with {@code length} bytes available.
     *
     * @throws GeneveFormatException {@code TRUNCATED} or {@code BAD_LENGTH}
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public UdpView wrap(MemorySegment segment, long offset, long length) {
        Wire.checkTarget(segment.byteSize(), offset, length, "datagram");
        if (length < HEADER_LENGTH) {
            throw new GeneveFormatException(Reason.TRUNCATED, 0,
                    "UDP datagram of " + length + " bytes (expected: 8+ bytes)");
        }
        int udpLength = Wire.u16(segment, offset + 4);
        if (udpLength < HEADER_LENGTH || udpLength > length) {
            throw new GeneveFormatException(Reason.BAD_LENGTH, 4, "UDP length " + udpLength
                    + " (expected: 8.." + Math.min(length, 0xFFFF) + ")");
        }
        this.segment = segment;
        this.offset = offset;
        return this;
    }

    public long offset() {
        return offset;
    }

    public int sourcePort() {
        return Wire.u16(segment, offset);
    }

    public int destinationPort() {
        return Wire.u16(segment, offset + 2);
    }

    /** The Length field: header plus data. */
    public int length() {
        return Wire.u16(segment, offset + 4);
    }

    public int checksum() {
        return Wire.u16(segment, offset + 6);
    }

    public long payloadOffset() {
        return offset + HEADER_LENGTH;
    }

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
                || InternetChecksum.fold(pseudoHeaderSum + InternetChecksum.sum(segment, offset, length())) == 0xFFFF;
    }

    public UdpView checksum(int value) {
        Wire.putU16(segment, offset + 6, value);
        return this;
    }

    /** Writes a UDP header with the given checksum field. @return 8 */
    public static int write(MemorySegment target, long offset, int sourcePort, int destinationPort, int length,
            int checksum) {
        Wire.putU16(target, offset, sourcePort);
        Wire.putU16(target, offset + 2, destinationPort);
        Wire.putU16(target, offset + 4, length);
        Wire.putU16(target, offset + 6, checksum);
        return HEADER_LENGTH;
    }
}
