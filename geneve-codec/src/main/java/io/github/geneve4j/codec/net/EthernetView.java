package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.internal.WrapError;
import java.lang.foreign.MemorySegment;

/**
 * A reusable flyweight over an Ethernet II header with at most one 802.1Q tag.
 *
 * <pre>{@code
 * EthernetView eth = new EthernetView().wrap(frame, 0, frameLength);
 * if (eth.etherType() == EtherType.IPV4) ipv4.wrap(frame, eth.payloadOffset(), eth.payloadLength());
 * }</pre>
 *
 * <p>Setters write straight into the wrapped bytes. Error offsets count from the first byte of the
 * Ethernet header.
 */
public final class EthernetView {
    /** A view starts unwrapped; {@link #wrap} or {@link #tryWrap} it around a frame, and again for the next. */
    public EthernetView() {
    }

    /** Length of an untagged Ethernet II header. */
    public static final int HEADER_LENGTH = 14;
    /** Length of a header with one 802.1Q tag. */
    public static final int TAGGED_HEADER_LENGTH = 18;

    /** Length of a MAC address. */
    public static final int MAC_LENGTH = 6;

    // Field offsets from the first byte of the header (IEEE 802.3, 802.1Q), for code that reads or
    // rewrites a field in place without a view.
    /** Offset of the destination MAC address, 6 bytes. */
    public static final int DESTINATION_OFFSET = 0;
    /** Offset of the source MAC address, 6 bytes. */
    public static final int SOURCE_OFFSET = 6;
    /** Offset of the EtherType, 16 bits; in a tagged frame, the tag's TPID (0x8100). */
    public static final int ETHER_TYPE_OFFSET = 12;
    /** Offset of a tagged frame's Tag Control Information, 16 bits: priority (3), DEI (1), VLAN ID (12). */
    public static final int TCI_OFFSET = 14;
    /** Offset of a tagged frame's EtherType, 16 bits, after its one tag. */
    public static final int TAGGED_ETHER_TYPE_OFFSET = 16;

    private MemorySegment segment;
    private final WrapError error = new WrapError();
    private long offset;
    private long end;
    private boolean tagged;

    /** Wraps the header at {@code offset}; the frame runs to the end of the segment. */
    public EthernetView wrap(MemorySegment segment, long offset) {
        return wrap(segment, offset, segment.byteSize() - offset);
    }

    /**
     * Wraps the frame of {@code length} bytes at {@code offset}.
     *
     * @throws GeneveFormatException {@code TRUNCATED} if the frame is shorter than its header
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public EthernetView wrap(MemorySegment segment, long offset, long length) {
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
        Wire.checkTarget(segment.byteSize(), offset, length, "frame");
        if (length < HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, 0, "Ethernet frame of %d bytes (expected: 14+ bytes)", length, 0);
        }
        boolean tag = Wire.u16(segment, offset + ETHER_TYPE_OFFSET) == EtherType.VLAN;
        if (tag && length < TAGGED_HEADER_LENGTH) {
            return error.fail(Reason.TRUNCATED, ETHER_TYPE_OFFSET, "802.1Q-tagged Ethernet frame of %d bytes (expected: 18+ bytes)",
                    length, 0);
        }
        this.segment = segment;
        this.offset = offset;
        this.end = offset + length;
        this.tagged = tag;
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

    /** Offset of the header in the segment. */
    public long offset() {
        return offset;
    }

    /** Whether the frame carries an 802.1Q tag. */
    public boolean tagged() {
        return tagged;
    }

    /** 14, or 18 with a VLAN tag. */
    public int headerLength() {
        return tagged ? TAGGED_HEADER_LENGTH : HEADER_LENGTH;
    }

    /** The EtherType of the payload (after the tag, if any). */
    public int etherType() {
        return Wire.u16(seg(), offset + headerLength() - 2);
    }

    /** The 12-bit VLAN ID, or -1 when untagged. */
    public int vlanId() {
        return tagged ? Wire.u16(seg(), offset + TCI_OFFSET) & 0x0FFF : -1;
    }

    /** The 3-bit priority code point, or -1 when untagged. */
    public int vlanPriority() {
        return tagged ? Wire.u16(seg(), offset + TCI_OFFSET) >>> 13 : -1;
    }

    /** Destination MAC address as a 48-bit value. */
    public long destination() {
        return mac(offset + DESTINATION_OFFSET);
    }

    /** Source MAC address as a 48-bit value. */
    public long source() {
        return mac(offset + SOURCE_OFFSET);
    }

    private long mac(long at) {
        return (Wire.u32(seg(), at) << 16) | Wire.u16(seg(), at + 4);
    }

    /** Offset of the payload in the segment. */
    public long payloadOffset() {
        return offset + headerLength();
    }

    /** Bytes from the payload to the end of the frame (including any Ethernet padding). */
    public long payloadLength() {
        return end - payloadOffset();
    }

    /** Writes an Ethernet header at {@code offset}: 14 bytes, or 18 with a tag when {@code vlanTci >= 0}. */
    public static int write(MemorySegment target, long offset, long destination, long source, int vlanTci,
            int etherType) {
        putMac(target, offset + DESTINATION_OFFSET, destination);
        putMac(target, offset + SOURCE_OFFSET, source);
        if (vlanTci >= 0) {
            Wire.putU16(target, offset + ETHER_TYPE_OFFSET, EtherType.VLAN);
            Wire.putU16(target, offset + TCI_OFFSET, vlanTci);
            Wire.putU16(target, offset + TAGGED_ETHER_TYPE_OFFSET, etherType);
            return TAGGED_HEADER_LENGTH;
        }
        Wire.putU16(target, offset + ETHER_TYPE_OFFSET, etherType);
        return HEADER_LENGTH;
    }

    private static void putMac(MemorySegment target, long at, long mac) {
        Wire.putU32(target, at, mac >>> 16);
        Wire.putU16(target, at + 4, (int) mac);
    }

    /** The wrapped memory; throws when the view wraps nothing (never wrapped, or the last tryWrap failed). */
    private MemorySegment seg() {
        MemorySegment s = segment;
        if (s == null) {
            throw new IllegalStateException("EthernetView is not wrapped: wrap it, or check what tryWrap returned");
        }
        return s;
    }
}
