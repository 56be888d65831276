package io.github.geneve4j.options.internal;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.OptionDescriptor;

/** Checks shared by the typed codecs (not part of the API). */
public final class Layouts {

    private Layouts() {
    }

    /**
     * Checks that {@code option} is (class, type) with data {@code rule} allows.
     *
     * @throws GeneveFormatException {@code BAD_LENGTH} (offset 3: the option's Length field) or
     *     {@code BAD_VALUE} (offset 0) naming the option
     */
    public static void expect(GeneveOption option, OptionDescriptor<?> descriptor) {
        if (option.optionClass() != descriptor.optionClass() || option.type() != descriptor.type()) {
            throw new GeneveFormatException(GeneveFormatException.Reason.BAD_VALUE, 0, String.format(
                    "option class 0x%04x type 0x%02x is not %s", option.optionClass(), option.type(), descriptor));
        }
        if (!descriptor.length().allows(option.dataLength())) {
            throw new GeneveFormatException(GeneveFormatException.Reason.BAD_LENGTH, 3, String.format(
                    "%s with %d bytes of data (expected: %s)", descriptor.name(), option.dataLength(),
                    descriptor.length()));
        }
    }

    /**
     * Checks that the cursor's option is (class, type) with data {@code rule} allows; allocates
     * nothing unless it throws.
     *
     * @throws GeneveFormatException {@code BAD_VALUE} (at the option) or {@code BAD_LENGTH} (at its
     *     Length field), the offset from the first byte of the Geneve header
     */
    public static void expect(GeneveOptionCursor cursor, OptionDescriptor<?> descriptor) {
        if (!descriptor.matches(cursor)) {
            throw new GeneveFormatException(GeneveFormatException.Reason.BAD_VALUE, cursor.offset(), String.format(
                    "option class 0x%04x type 0x%02x is not %s", cursor.optionClass(), cursor.type(), descriptor));
        }
        if (!descriptor.length().allows(cursor.dataLength())) {
            throw new GeneveFormatException(GeneveFormatException.Reason.BAD_LENGTH, cursor.offset() + 3,
                    String.format("%s with %d bytes of data (expected: %s)", descriptor.name(), cursor.dataLength(),
                            descriptor.length()));
        }
    }

    public static long int64(GeneveOption option, int index) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | option.dataByte(index + i);
        }
        return value;
    }

    public static int int32(GeneveOption option, int index) {
        return option.dataByte(index) << 24 | option.dataByte(index + 1) << 16
                | option.dataByte(index + 2) << 8 | option.dataByte(index + 3);
    }

    public static byte[] bytes(long value) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) value;
            value >>>= 8;
        }
        return b;
    }

    public static byte[] bytes(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }
}
