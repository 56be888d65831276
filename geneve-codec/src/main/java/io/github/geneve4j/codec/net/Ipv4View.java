package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over an IPv4 header (RFC 791), options included.
 *
 * <pre>{@code
 * Ipv4View ip = new Ipv4View().wrap(frame, eth.payloadOffset(), eth.payloadLength());
 * ip.ttl(63);
 * ip.updateChecksum();
 * }</pre>
 *
 * <p>{@code wrap} checks the version, the header length and the total length against the bytes
 * available. A total length of 0 with more than 65535 bytes available, carrying TCP or UDP, is
 * accepted as a Linux BIG TCP packet (TCP, or UDP for a tunnel such as Geneve or VXLAN), as tcpdump
 * presumes it: its length is then the bytes available ({@link #packetLength()}). Any other total
 * length of 0 is {@code BAD_LENGTH}. Error offsets count from the first byte of the IPv4 header.
 */
public final class Ipv4View {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a packet, and again for the next. */
    public Ipv4View() {
    }

    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;

    /** Length of an IPv4 address. */
    public static final int ADDRESS_LENGTH = 4;

    // Field offsets from the first byte of the header (RFC 791 §3.1), for code that reads or
    // rewrites a field in place without a view (a segmenter's per-segment lengths and checksums).
    /** Offset of the Type of Service byte (RFC 2474: DSCP, RFC 3168: ECN), 8 bits. */
    public static final int TOS_OFFSET = 1;
    /** Offset of the Total Length field, 16 bits: header and data, in bytes. */
    public static final int TOTAL_LENGTH_OFFSET = 2;
    /** Offset of the Identification field, 16 bits. */
    public static final int IDENTIFICATION_OFFSET = 4;
    /** Offset of the 16 bits holding the Flags (3 bits: reserved, DF, MF) and the Fragment Offset (13 bits). */
    public static final int FLAGS_OFFSET = 6;
    /** Offset of the Time to Live field, 8 bits. */
    public static final int TTL_OFFSET = 8;
    /** Offset of the Protocol field, 8 bits. */
    public static final int PROTOCOL_OFFSET = 9;
    /** Offset of the Header Checksum field, 16 bits. */
    public static final int CHECKSUM_OFFSET = 10;
    /** Offset of the Source Address, 4 bytes; the Destination Address follows it. */
    public static final int SOURCE_OFFSET = 12;
    /** Offset of the Destination Address, 4 bytes. */
    public static final int DESTINATION_OFFSET = 16;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;
    private long available;

    /** Wraps the packet at {@code offset}, running to the end of the segment. */
    public Ipv4View wrap(MemorySegment segment, long offset) {
        return wrap(segment, offset, segment.byteSize() - offset);
    }

    /**
     * Wraps the packet at {@code offset} with {@code length} bytes available (which may include
     * link-layer padding after the packet).
     *
     * @throws GeneveFormatException {@code TRUNCATED}, {@code BAD_VALUE} (version not 4) or
     *     {@code BAD_LENGTH} (IHL below 5, total length below the header or beyond the bytes)
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public Ipv4View wrap(MemorySegment segment, long offset, long length) {
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
        Wire.checkTarget(segment.byteSize(), offset, length, "packet");
        if (length < MIN_HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, 0, "IPv4 packet of %d bytes (expected: 20+ bytes)", length, 0);
        }
        int b0 = Wire.u8(segment, offset);
        if (b0 >>> 4 != 4) {
            return error.fail(Reason.BAD_VALUE, 0, "IP version %d (expected: 4)", b0 >>> 4, 0);
        }
        int headerLength = (b0 & 0xF) * 4;
        if (headerLength < MIN_HEADER_LENGTH) {
            return error.fail(Reason.BAD_LENGTH, 0, "IPv4 IHL %d (expected: 5..15)", b0 & 0xF, 0);
        }
        if (headerLength > length) {
            return error.fail(Reason.TRUNCATED, 0, "IPv4 header of %d bytes in %d bytes", headerLength, length);
        }
        int total = Wire.u16(segment, offset + TOTAL_LENGTH_OFFSET);
        int protocol = Wire.u8(segment, offset + PROTOCOL_OFFSET);
        boolean bigTcp = total == 0 && length > 0xFFFF
                && (protocol == EtherType.PROTOCOL_TCP || protocol == EtherType.PROTOCOL_UDP);
        if (!bigTcp && (total < headerLength || total > length)) {
            return error.fail(Reason.BAD_LENGTH, TOTAL_LENGTH_OFFSET, "IPv4 total length %d (expected: %d..%d)",
                    total, headerLength, Math.min(length, 0xFFFF));
        }
        this.segment = segment;
        this.offset = offset;
        this.available = length;
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

    /** Header length in bytes (IHL × 4). */
    public int headerLength() {
        return (Wire.u8(seg(), offset) & 0xF) * 4;
    }

    /** The 6-bit DSCP. */
    public int dscp() {
        return Wire.u8(seg(), offset + TOS_OFFSET) >>> 2;
    }

    /** The 2-bit ECN field. */
    public int ecn() {
        return Wire.u8(seg(), offset + TOS_OFFSET) & 3;
    }

    /** The Total Length field as sent (0 for a BIG TCP packet). */
    public int totalLength() {
        return Wire.u16(seg(), offset + TOTAL_LENGTH_OFFSET);
    }

    /** The packet's length: Total Length, or the bytes available for a BIG TCP packet. */
    public long packetLength() {
        int total = totalLength();
        return total == 0 ? available : total;
    }

    /** Whether Total Length is 0 and the frame's length governs (Linux BIG TCP). */
    public boolean bigTcp() {
        return totalLength() == 0;
    }

    /** The Identification field (16 bits). */
    public int identification() {
        return Wire.u16(seg(), offset + IDENTIFICATION_OFFSET);
    }

    /** Whether the DF (Don't Fragment) flag is set. */
    public boolean dontFragment() {
        return (Wire.u8(seg(), offset + FLAGS_OFFSET) & 0x40) != 0;
    }

    /** Whether the MF (More Fragments) flag is set. */
    public boolean moreFragments() {
        return (Wire.u8(seg(), offset + FLAGS_OFFSET) & 0x20) != 0;
    }

    /** Fragment offset in 8-byte units. */
    public int fragmentOffset() {
        return Wire.u16(seg(), offset + FLAGS_OFFSET) & 0x1FFF;
    }

    /** The Time to Live field. */
    public int ttl() {
        return Wire.u8(seg(), offset + TTL_OFFSET);
    }

    /** The Protocol field: the upper layer (6 TCP, 17 UDP, ...). */
    public int protocol() {
        return Wire.u8(seg(), offset + PROTOCOL_OFFSET);
    }

    /** The header checksum field as stored. */
    public int checksum() {
        return Wire.u16(seg(), offset + CHECKSUM_OFFSET);
    }

    /** Offset of the 4-byte source address in the segment; the destination follows it. */
    public long sourceOffset() {
        return offset + SOURCE_OFFSET;
    }

    /** Offset of the 4-byte destination address in the segment. */
    public long destinationOffset() {
        return offset + DESTINATION_OFFSET;
    }

    /** Source address as an unsigned 32-bit value. */
    public long source() {
        return Wire.u32(seg(), offset + SOURCE_OFFSET);
    }

    /** Destination address as an unsigned 32-bit value. */
    public long destination() {
        return Wire.u32(seg(), offset + DESTINATION_OFFSET);
    }

    /** Offset of the payload (after options) in the segment. */
    public long payloadOffset() {
        return offset + headerLength();
    }

    /** Payload length: packet length minus header length. */
    public long payloadLength() {
        return packetLength() - headerLength();
    }

    /** Whether the header checksum verifies. */
    public boolean checksumValid() {
        return InternetChecksum.fold(InternetChecksum.sum(seg(), offset, headerLength())) == 0xFFFF;
    }

    /** Writes the Total Length field; returns {@code this}. */
    public Ipv4View totalLength(int value) {
        Wire.putU16(seg(), offset + TOTAL_LENGTH_OFFSET, value);
        return this;
    }

    /** Writes the Identification field; returns {@code this}. */
    public Ipv4View identification(int value) {
        Wire.putU16(seg(), offset + IDENTIFICATION_OFFSET, value);
        return this;
    }

    /** Writes the Time to Live field; returns {@code this}. */
    public Ipv4View ttl(int value) {
        Wire.putU8(seg(), offset + TTL_OFFSET, value);
        return this;
    }

    /** Writes the header checksum field; returns {@code this}. */
    public Ipv4View checksum(int value) {
        Wire.putU16(seg(), offset + CHECKSUM_OFFSET, value);
        return this;
    }

    /** Recomputes the header checksum over the header as it stands. */
    public Ipv4View updateChecksum() {
        checksum(0);
        return checksum(InternetChecksum.checksum(seg(), offset, headerLength()));
    }

    /** Pseudo-header sum for an upper-layer packet of {@code length} bytes (RFC 793). */
    public long pseudoHeaderSum(int protocol, long length) {
        return InternetChecksum.pseudoHeaderIpv4(source(), destination(), protocol, length);
    }

    /**
     * Writes a 20-byte IPv4 header without options, checksum computed.
     *
     * @return 20
     */
    public static int write(MemorySegment target, long offset, int dscpEcn, int totalLength, int id,
            boolean dontFragment, int ttl, int protocol, long source, long destination) {
        Wire.putU8(target, offset, 0x45);
        Wire.putU8(target, offset + TOS_OFFSET, dscpEcn);
        Wire.putU16(target, offset + TOTAL_LENGTH_OFFSET, totalLength);
        Wire.putU16(target, offset + IDENTIFICATION_OFFSET, id);
        Wire.putU16(target, offset + FLAGS_OFFSET, dontFragment ? 0x4000 : 0);
        Wire.putU8(target, offset + TTL_OFFSET, ttl);
        Wire.putU8(target, offset + PROTOCOL_OFFSET, protocol);
        Wire.putU16(target, offset + CHECKSUM_OFFSET, 0);
        Wire.putU32(target, offset + SOURCE_OFFSET, source);
        Wire.putU32(target, offset + DESTINATION_OFFSET, destination);
        Wire.putU16(target, offset + CHECKSUM_OFFSET, InternetChecksum.checksum(target, offset, MIN_HEADER_LENGTH));
        return MIN_HEADER_LENGTH;
    }

    /** The wrapped memory; throws when the view wraps nothing (never wrapped, or the last tryWrap failed). */
    private MemorySegment seg() {
        MemorySegment s = segment;
        if (s == null) {
            throw new IllegalStateException("Ipv4View is not wrapped: wrap it, or check what tryWrap returned");
        }
        return s;
    }
}
