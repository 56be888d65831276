package io.github.geneve4j.codec.internal;

import io.github.geneve4j.codec.NetworkOrder;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * Big-endian accessors for wire data, over {@link NetworkOrder}'s layouts, and the bounds arithmetic
 * every codec shares. Reads are absolute: a {@link ByteBuffer}'s position and byte order never matter.
 */
public final class Wire {


    private static final HexFormat HEX = HexFormat.of();

    private Wire() {
    }

    /** The unsigned byte at {@code offset}. */
    public static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    /** The unsigned 16-bit network-order field at {@code offset}. */
    public static int u16(MemorySegment s, long offset) {
        return s.get(NetworkOrder.SHORT, offset) & 0xFFFF;
    }

    /** The unsigned 32-bit network-order field at {@code offset}. */
    public static long u32(MemorySegment s, long offset) {
        return s.get(NetworkOrder.INT, offset) & 0xFFFF_FFFFL;
    }

    /** The unsigned byte at absolute {@code index}. */
    public static int u8(ByteBuffer b, int index) {
        return b.get(index) & 0xFF;
    }

    /** The unsigned 16-bit network-order field at absolute {@code index}, whatever the buffer's order. */
    // composed from bytes: absolute multi-byte gets would follow the buffer's byte order
    public static int u16(ByteBuffer b, int index) {
        return (u8(b, index) << 8) | u8(b, index + 1);
    }

    /** The 32-bit network-order field at absolute {@code index}, whatever the buffer's order. */
    public static int int32(ByteBuffer b, int index) {
        int value = b.getInt(index);
        return b.order() == ByteOrder.BIG_ENDIAN ? value : Integer.reverseBytes(value);
    }

    /** The 64-bit network-order field at absolute {@code index}, whatever the buffer's order. */
    public static long int64(ByteBuffer b, int index) {
        long value = b.getLong(index);
        return b.order() == ByteOrder.BIG_ENDIAN ? value : Long.reverseBytes(value);
    }

    /** Writes the low byte of {@code value} at {@code offset}. */
    public static void putU8(MemorySegment s, long offset, int value) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) value);
    }

    /** Writes the low 16 bits of {@code value} at {@code offset}, in network order. */
    public static void putU16(MemorySegment s, long offset, int value) {
        s.set(NetworkOrder.SHORT, offset, (short) value);
    }

    /** Writes the low 24 bits of {@code value} at {@code offset}, in network order (a Geneve VNI). */
    public static void putU24(MemorySegment s, long offset, int value) {
        putU16(s, offset, value >>> 8);
        putU8(s, offset + 2, value);
    }

    /** Writes the low 32 bits of {@code value} at {@code offset}, in network order. */
    public static void putU32(MemorySegment s, long offset, long value) {
        s.set(NetworkOrder.INT, offset, (int) value);
    }

    /**
     * A segment over the whole capacity of {@code buffer}, so that absolute indices into the buffer
     * are offsets into the segment whatever the buffer's position and limit.
     */
    public static MemorySegment segmentOf(ByteBuffer buffer) {
        return MemorySegment.ofBuffer(buffer.duplicate().clear());
    }

    /**
     * Checks that {@code [offset, offset + length)} lies in {@code [0, size)} without overflow.
     *
     * @throws IllegalArgumentException naming what was wanted and what was available
     */
    public static void checkTarget(long size, long offset, long length, String what) {
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException(
                    what + " offset " + offset + " is outside the buffer (size " + size + ")");
        }
        if (length > size - offset) {
            throw new IllegalArgumentException(what + " too small: " + (size - offset)
                    + " bytes available from offset " + offset + " (needed: " + length + " bytes)");
        }
    }

    /** Checks that a read starting at {@code offset} is inside {@code [0, end]}. */
    public static void checkOffset(long end, long offset) {
        if (offset < 0 || offset > end) {
            throw new IllegalArgumentException(
                    "offset " + offset + " is outside the input (0.." + end + ")");
        }
    }

    /** The bytes in lower-case hex, for messages and {@code toString}. */
    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
