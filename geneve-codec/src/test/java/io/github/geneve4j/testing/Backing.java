package io.github.geneve4j.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The four kinds of memory a codec must work over. Contract tests run once per kind, with the data
 * placed at a non-zero offset, so a codec that ignores the offset, the buffer's byte order or its
 * position fails on at least one of them.
 */
public enum Backing {
    HEAP_BUFFER,
    DIRECT_BUFFER,
    HEAP_SEGMENT,
    NATIVE_SEGMENT;

    /** Bytes placed at {@code offset} in memory of this kind, with {@code slack} spare bytes after. */
    public Placed place(byte[] bytes, int offset, int slack) {
        int size = offset + bytes.length + slack;
        return switch (this) {
            case HEAP_BUFFER -> buffer(ByteBuffer.allocate(size), bytes, offset);
            case DIRECT_BUFFER -> buffer(ByteBuffer.allocateDirect(size), bytes, offset);
            case HEAP_SEGMENT -> segment(MemorySegment.ofArray(new byte[size]), bytes, offset);
            case NATIVE_SEGMENT -> segment(Arena.ofAuto().allocate(size, 1), bytes, offset);
        };
    }

    /** An empty area of {@code size} bytes of this kind. */
    public Placed allocate(int size) {
        return place(new byte[0], 0, size);
    }

    private static Placed buffer(ByteBuffer buffer, byte[] bytes, int offset) {
        buffer.put(offset, bytes);
        // hostile state: a non-zero position and little-endian order must not matter
        buffer.order(ByteOrder.LITTLE_ENDIAN).position(Math.min(3, buffer.limit()));
        return new Placed(buffer, MemorySegment.ofBuffer(buffer.duplicate().clear()), offset, bytes.length);
    }

    private static Placed segment(MemorySegment segment, byte[] bytes, int offset) {
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, offset, bytes.length);
        return new Placed(null, segment, offset, bytes.length);
    }

    public boolean isBuffer() {
        return this == HEAP_BUFFER || this == DIRECT_BUFFER;
    }

    /**
     * Data in place: {@code buffer} is null for segment kinds; {@code memory} always covers the
     * whole area (for buffers, their whole capacity).
     */
    public record Placed(ByteBuffer buffer, MemorySegment memory, int offset, int length) {

        /** The bytes in {@code [from, from + count)}, absolute. */
        public byte[] bytes(long from, int count) {
            return memory.asSlice(from, count).toArray(ValueLayout.JAVA_BYTE);
        }

        /** The placed bytes themselves. */
        public byte[] bytes() {
            return bytes(offset, length);
        }
    }
}
