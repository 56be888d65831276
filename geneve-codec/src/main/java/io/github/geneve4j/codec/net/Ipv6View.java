package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over an IPv6 fixed header (RFC 8200), able to walk extension headers to the
 * upper-layer header.
 *
 * <pre>{@code
 * Ipv6View ip = new Ipv6View().wrap(frame, eth.payloadOffset(), eth.payloadLength());
 * if (ip.upperLayerProtocol() == EtherType.PROTOCOL_TCP) tcp.wrap(frame, ip.upperLayerOffset(), ...);
 * }</pre>
 *
 * <p>A payload length of 0 with more than 65535 bytes after the header, followed by TCP, UDP or a
 * hop-by-hop header, is accepted as a Linux BIG TCP packet (or an RFC 2675 jumbogram) whose length is
 * the bytes available; any other payload length of 0 is an empty payload. Hop-by-hop, routing, destination options and AH
 * headers are skipped by {@code wrap}; ESP and "no next header" end the walk, and so does a Fragment
 * header (RFC 8200 §4.5): what follows it is one fragment of the packet, not its upper-layer header,
 * so {@link #upperLayerProtocol()} is then 44 and {@link #upperLayerOffset()} the Fragment header's.
 * Error offsets count from the first byte of the IPv6 header.
 */
public final class Ipv6View {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a packet, and again for the next. */
    public Ipv6View() {
    }

    /** Length of the fixed header. */
    public static final int HEADER_LENGTH = 40;
    /** Next Header value of a Fragment header. */
    public static final int FRAGMENT_HEADER = 44;

    /** Length of an IPv6 address. */
    public static final int ADDRESS_LENGTH = 16;

    // Field offsets from the first byte of the fixed header (RFC 8200 §3), for code that reads or
    // rewrites a field in place without a view.
    /** Offset of the Payload Length field, 16 bits: the bytes after the fixed header. */
    public static final int PAYLOAD_LENGTH_OFFSET = 4;
    /** Offset of the Next Header field, 8 bits. */
    public static final int NEXT_HEADER_OFFSET = 6;
    /** Offset of the Hop Limit field, 8 bits. */
    public static final int HOP_LIMIT_OFFSET = 7;
    /** Offset of the Source Address, 16 bytes; the Destination Address follows it. */
    public static final int SOURCE_OFFSET = 8;
    /** Offset of the Destination Address, 16 bytes. */
    public static final int DESTINATION_OFFSET = 24;
    private static final int HOP_BY_HOP = 0;
    private static final int ROUTING = 43;
    private static final int DESTINATION_OPTIONS = 60;
    private static final int AUTHENTICATION = 51;
    private static final int FRAGMENT_HEADER_LENGTH = 8;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;
    private long available;
    private long upperOffset;
    private boolean fragment;
    private int upperProtocol;

    /** Wraps the packet at {@code offset}, running to the end of the segment. */
    public Ipv6View wrap(MemorySegment segment, long offset) {
        return wrap(segment, offset, segment.byteSize() - offset);
    }

    /**
     * Wraps the packet at {@code offset} with {@code length} bytes available and walks its extension
     * headers.
     *
     * @throws GeneveFormatException {@code TRUNCATED}, {@code BAD_VALUE} (version not 6) or
     *     {@code BAD_LENGTH} (payload length beyond the bytes, extension header overrun)
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public Ipv6View wrap(MemorySegment segment, long offset, long length) {
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
        if (length < HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, 0, "IPv6 packet of %d bytes (expected: 40+ bytes)", length, 0);
        }
        int version = Wire.u8(segment, offset) >>> 4;
        if (version != 6) {
            return error.fail(Reason.BAD_VALUE, 0, "IP version %d (expected: 6)", version, 0);
        }
        int payload = Wire.u16(segment, offset + PAYLOAD_LENGTH_OFFSET);
        int first = Wire.u8(segment, offset + NEXT_HEADER_OFFSET);
        long packetLength;
        // BIG TCP only for its shapes: TCP or UDP (a tunnel) right after the fixed header, as Linux
        // sends it since it dropped the Jumbo Payload option, or a hop-by-hop header (which holds
        // that option, RFC 2675); otherwise a Payload Length of 0 is an empty payload
        if (payload == 0 && length - HEADER_LENGTH > 0xFFFF
                && (first == EtherType.PROTOCOL_TCP || first == EtherType.PROTOCOL_UDP || first == HOP_BY_HOP)) {
            packetLength = length;
        } else if (HEADER_LENGTH + payload > length) {
            return error.fail(Reason.BAD_LENGTH, PAYLOAD_LENGTH_OFFSET, "IPv6 payload length %d (expected: at most %d)", payload,
                    length - HEADER_LENGTH);
        } else {
            packetLength = HEADER_LENGTH + payload;
        }
        int next = first;
        long at = HEADER_LENGTH;
        while (next == HOP_BY_HOP || next == ROUTING || next == DESTINATION_OPTIONS || next == AUTHENTICATION
                || next == FRAGMENT_HEADER) {
            long extLength = next == FRAGMENT_HEADER ? FRAGMENT_HEADER_LENGTH : 2;
            if (at + extLength > packetLength) {
                return error.fail(Reason.TRUNCATED, at, "IPv6 extension header %d at %d truncated by the packet end at %d",
                        next, at, packetLength);
            }
            if (next == FRAGMENT_HEADER) {
                break; // what follows is a fragment's data, whatever its Next Header says
            }
            int lengthField = Wire.u8(segment, offset + at + 1);
            extLength = next == AUTHENTICATION
                    ? (lengthField + 2) * 4L     // AH: 4-byte units, minus 2 (RFC 4302)
                    : (lengthField + 1) * 8L;    // 8-byte units, not counting the first 8
            if (at + extLength > packetLength) {
                return error.fail(Reason.BAD_LENGTH, at, "IPv6 extension header %d of %d bytes runs past the packet end at %d",
                        next, extLength, packetLength);
            }
            next = Wire.u8(segment, offset + at);
            at += extLength;
        }
        boolean fragment = next == FRAGMENT_HEADER;
        this.segment = segment;
        this.offset = offset;
        this.available = packetLength;
        this.upperOffset = offset + at;
        this.upperProtocol = next;
        this.fragment = fragment;
        return true;
    }

    /**
     * Whether the walk met a Fragment header (RFC 8200 §4.5): the packet is one fragment, its
     * Fragment header at {@link #upperLayerOffset()}.
     */
    public boolean fragmented() {
        return fragment;
    }

    /** The Fragment Offset field in 8-byte units, or -1 when the packet has no Fragment header. */
    public int fragmentOffset() {
        return fragment ? Wire.u16(seg(), upperOffset + 2) >>> 3 : -1;
    }

    /** Whether the Fragment header's M flag is set (false when there is none). */
    public boolean moreFragments() {
        return fragment && (Wire.u8(seg(), upperOffset + 3) & 1) != 0;
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

    /** The Traffic Class field (8 bits). */
    public int trafficClass() {
        return (Wire.u16(seg(), offset) >>> 4) & 0xFF;
    }

    /** The Flow Label field (20 bits). */
    public int flowLabel() {
        return (int) (Wire.u32(seg(), offset) & 0xF_FFFF);
    }

    /** The Payload Length field as sent (0 for a BIG TCP packet). */
    public int payloadLengthField() {
        return Wire.u16(seg(), offset + PAYLOAD_LENGTH_OFFSET);
    }

    /** Length of the packet: 40 plus the payload (the bytes available for a BIG TCP packet). */
    public long packetLength() {
        return available;
    }

    /** Whether the Payload Length field is 0 and the frame's length governs (Linux BIG TCP). */
    public boolean bigTcp() {
        return payloadLengthField() == 0 && available - HEADER_LENGTH > 0xFFFF;
    }

    /** The Next Header field of the fixed header (an extension header or the upper layer). */
    public int nextHeader() {
        return Wire.u8(seg(), offset + NEXT_HEADER_OFFSET);
    }

    /** The Hop Limit field. */
    public int hopLimit() {
        return Wire.u8(seg(), offset + HOP_LIMIT_OFFSET);
    }

    /** Offset of the 16-byte source address; the destination follows it. */
    public long sourceOffset() {
        return offset + SOURCE_OFFSET;
    }

    /** Offset of the 16-byte destination address. */
    public long destinationOffset() {
        return offset + DESTINATION_OFFSET;
    }

    /** Protocol of the header after the extension headers (6 for TCP). */
    public int upperLayerProtocol() {
        return upperProtocol;
    }

    /** Offset of the header after the extension headers. */
    public long upperLayerOffset() {
        return upperOffset;
    }

    /** Bytes from the upper-layer header to the packet end. */
    public long upperLayerLength() {
        return offset + available - upperOffset;
    }

    /** Length of the fixed header plus extension headers. */
    public int headerLength() {
        return (int) (upperOffset - offset);
    }

    /** Writes the Payload Length field; returns {@code this}. */
    public Ipv6View payloadLength(int value) {
        Wire.putU16(seg(), offset + PAYLOAD_LENGTH_OFFSET, value);
        return this;
    }

    /** Pseudo-header sum for an upper-layer packet of {@code length} bytes (RFC 8200 §8.1). */
    public long pseudoHeaderSum(int protocol, long length) {
        return InternetChecksum.pseudoHeaderIpv6(seg(), offset + SOURCE_OFFSET, protocol, length);
    }

    /**
     * Writes a 40-byte IPv6 header; the addresses are copied from 16-byte arrays.
     *
     * @return 40
     */
    public static int write(MemorySegment target, long offset, int trafficClass, int flowLabel,
            int payloadLength, int nextHeader, int hopLimit, byte[] source, byte[] destination) {
        Wire.putU32(target, offset, (6L << 28) | ((trafficClass & 0xFFL) << 20) | (flowLabel & 0xF_FFFF));
        Wire.putU16(target, offset + PAYLOAD_LENGTH_OFFSET, payloadLength);
        Wire.putU8(target, offset + NEXT_HEADER_OFFSET, nextHeader);
        Wire.putU8(target, offset + HOP_LIMIT_OFFSET, hopLimit);
        MemorySegment.copy(MemorySegment.ofArray(source), 0, target, offset + SOURCE_OFFSET, 16);
        MemorySegment.copy(MemorySegment.ofArray(destination), 0, target, offset + DESTINATION_OFFSET, 16);
        return HEADER_LENGTH;
    }

    /** The wrapped memory; throws when the view wraps nothing (never wrapped, or the last tryWrap failed). */
    private MemorySegment seg() {
        MemorySegment s = segment;
        if (s == null) {
            throw new IllegalStateException("Ipv6View is not wrapped: wrap it, or check what tryWrap returned");
        }
        return s;
    }
}
