package io.github.geneve4j.codec;

import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Walks the options of a validated header in place, without allocating.
 *
 * <p>Obtained from {@link GeneveView#options()}; call {@link #next()} before reading each option.
 * The options were checked when the view was wrapped, so walking never fails.
 *
 * <pre>{@code
 * for (GeneveOptionCursor o = view.options(); o.next(); ) {
 *     System.out.printf("class 0x%04x type 0x%02x %d bytes%n", o.optionClass(), o.type(), o.dataLength());
 * }
 * }</pre>
 */
public final class GeneveOptionCursor {

    private MemorySegment segment;
    private ByteBuffer buffer;
    private long base;
    private int[] words;
    private int count;
    private int index;
    private int position;
    private int next;
    // the current option's 4-byte header (class, type, R bits and length), read once by next()
    private int header;

    GeneveOptionCursor() {
    }

    void reset(MemorySegment segment, ByteBuffer buffer, long base, int[] words, int count) {
        this.segment = segment;
        this.buffer = buffer;
        this.base = base;
        this.words = words;
        this.count = count;
        this.index = -1;
        this.position = -1;
        this.next = Geneve.BASE_HEADER_LENGTH;
    }

    /** Moves to the next option; {@code false} when there is none. */
    public boolean next() {
        if (index + 1 >= count) {
            index = count;
            position = -1;
            return false;
        }
        header = words[++index];
        position = next;
        next = position + Geneve.OPTION_HEADER_LENGTH + ((header & 0x1F) << 2);
        return true;
    }

    private int u8(long index) {
        return buffer != null ? Wire.u8(buffer, (int) index) : Wire.u8(segment, index);
    }

    private long at() {
        if (position < 0) {
            throw new IllegalStateException("cursor is not on an option; call next()");
        }
        return base + position;
    }

    /** Offset of this option's header from the first byte of the Geneve header. */
    public int offset() {
        at();
        return position;
    }

    /** The Option Class. */
    public int optionClass() {
        at();
        return header >>> 16;
    }

    /** The Type, critical bit included. */
    public int type() {
        at();
        return (header >>> 8) & 0xFF;
    }

    /** Whether the Type's high bit is set. */
    public boolean critical() {
        return (type() & Geneve.CRITICAL_TYPE_BIT) != 0;
    }

    /** Data length in bytes (Length × 4); the three R bits are ignored (§3.5). */
    public int dataLength() {
        at();
        return (header & 0x1F) << 2;
    }

    private int u16(long index) {
        return buffer != null ? Wire.u16(buffer, (int) index) : Wire.u16(segment, index);
    }

    /** Absolute offset of the first data byte in the wrapped segment or buffer. */
    public long dataOffset() {
        return at() + Geneve.OPTION_HEADER_LENGTH;
    }

    /** Unsigned data byte at {@code index} within this option's data. */
    public int dataU8(int index) {
        return u8(dataAt(index, 1));
    }

    /** Unsigned big-endian 16-bit value at {@code index} within this option's data. */
    public int dataU16(int index) {
        return u16(dataAt(index, 2));
    }

    /** Big-endian 32-bit value at {@code index} within this option's data. */
    public int dataInt(int index) {
        long at = dataAt(index, 4);
        return buffer != null ? Wire.int32(buffer, (int) at) : segment.get(NetworkOrder.INT, at);
    }

    /** Big-endian 64-bit value at {@code index} within this option's data. */
    public long dataLong(int index) {
        long at = dataAt(index, 8);
        return buffer != null ? Wire.int64(buffer, (int) at) : segment.get(NetworkOrder.LONG, at);
    }

    private long dataAt(int index, int size) {
        Objects.checkFromIndexSize(index, size, dataLength());
        return dataOffset() + index;
    }

    /** Whether this option's data equals {@code bytes} (no allocation). */
    public boolean dataEquals(byte[] bytes) {
        int length = dataLength();
        if (bytes.length != length) {
            return false;
        }
        long data = dataOffset();
        for (int i = 0; i < length; i++) {
            if (u8(data + i) != (bytes[i] & 0xFF)) {
                return false;
            }
        }
        return true;
    }

    /** A copy of this option's data. */
    public byte[] data() {
        byte[] data = new byte[dataLength()];
        if (buffer != null) {
            buffer.get((int) dataOffset(), data);
        } else {
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, dataOffset(), data, 0, data.length);
        }
        return data;
    }

    /** This option as an immutable record (allocates). */
    public GeneveOption toOption() {
        return new GeneveOption(optionClass(), type(), data());
    }
}
