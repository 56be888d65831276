package io.github.geneve4j.codec;

import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * One Geneve option (RFC 8926 §3.5): a class, a type whose high bit marks it critical, and data.
 *
 * <p>Immutable: the data array is copied on the way in and on the way out. Equality is by value,
 * data included. Any class and type are accepted, known or not, so that options a receiver does
 * not understand survive a decode and re-encode byte for byte.
 *
 * <pre>{@code
 * var cookie = new GeneveOption(0x0108, 3, new byte[] {0x12, 0x34, 0x56, 0x78});
 * cookie.critical();       // false: type 3 has the high bit clear
 * cookie.encodedLength();  // 8: 4-byte option header + 4 bytes of data
 * }</pre>
 *
 * @param optionClass the 16-bit Option Class, the namespace of {@code type}
 * @param type the 8-bit Type; its high bit ({@link Geneve#CRITICAL_TYPE_BIT}) is the critical bit
 * @param data the option data: a multiple of 4 bytes, at most {@link Geneve#MAX_OPTION_DATA_LENGTH}
 */
public record GeneveOption(int optionClass, int type, byte[] data) {

    /**
     * Checks the fields and copies the data, so that the record stays immutable.
     *
     * @throws IllegalArgumentException if class or type is out of range, or data is not a multiple of
     *     4 bytes or longer than 124 bytes
     * @throws NullPointerException if {@code data} is null
     */
    public GeneveOption {
        if (optionClass < 0 || optionClass > 0xFFFF) {
            throw new IllegalArgumentException(
                    "option class " + optionClass + " out of range (expected: 0..0xffff)");
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("option type " + type + " out of range (expected: 0..0xff)");
        }
        if (data == null) {
            throw new NullPointerException("data");
        }
        if (data.length > Geneve.MAX_OPTION_DATA_LENGTH) {
            throw new IllegalArgumentException("option data of " + data.length
                    + " bytes is too long (expected: at most " + Geneve.MAX_OPTION_DATA_LENGTH + " bytes)");
        }
        if ((data.length & 3) != 0) {
            throw new IllegalArgumentException("option data of " + data.length
                    + " bytes is not a multiple of 4 bytes (RFC 8926 §3.5)");
        }
        data = data.clone();
    }

    /** An option without data. */
    public static GeneveOption of(int optionClass, int type) {
        return new GeneveOption(optionClass, type, new byte[0]);
    }

    /** A copy of the option data. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Length of the data in bytes (0..124, a multiple of 4). */
    public int dataLength() {
        return data.length;
    }

    /** Data byte {@code index}, unsigned. */
    public int dataByte(int index) {
        return data[index] & 0xFF;
    }

    /** Whether the type's high bit is set: a receiver that does not know the option must drop the packet. */
    public boolean critical() {
        return (type & Geneve.CRITICAL_TYPE_BIT) != 0;
    }

    /** Length on the wire: 4-byte option header plus data. */
    public int encodedLength() {
        return Geneve.OPTION_HEADER_LENGTH + data.length;
    }

    /** Whether this option's data equals {@code other} byte for byte (no copy). */
    public boolean dataEquals(byte[] other) {
        return Arrays.equals(data, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneveOption other
                && optionClass == other.optionClass
                && type == other.type
                && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return (optionClass * 31 + type) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return String.format("GeneveOption[class=0x%04x, type=0x%02x%s, data=%s]",
                optionClass, type, critical() ? " (critical)" : "", Wire.hex(data));
    }

    /** Writes the option at {@code offset}; the caller has checked the bounds. */
    void writeTo(MemorySegment target, long offset) {
        Wire.putU16(target, offset + Geneve.OPTION_CLASS_OFFSET, optionClass);
        Wire.putU8(target, offset + Geneve.OPTION_TYPE_OFFSET, type);
        Wire.putU8(target, offset + Geneve.OPTION_LENGTH_OFFSET, data.length >>> 2); // R bits zero on send
        MemorySegment.copy(data, 0, target, ValueLayout.JAVA_BYTE, offset + Geneve.OPTION_HEADER_LENGTH, data.length);
    }
}
