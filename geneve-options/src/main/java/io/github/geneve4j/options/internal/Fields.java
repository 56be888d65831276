package io.github.geneve4j.options.internal;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.OptionDescriptor;
import java.util.function.Function;

/**
 * Field reads and refusals shared by the typed codecs added for the published vendor options (not
 * part of the API). Offsets of a refusal follow {@link Layouts}: from the option for a
 * {@link GeneveOption}, from the Geneve header for a cursor.
 */
public final class Fields {

    private Fields() {
    }

    /** Unsigned byte {@code index} of the option's data. */
    public static int u8(GeneveOption option, int index) {
        return option.dataByte(index);
    }

    /** Unsigned big-endian 16 bits at {@code index} of the option's data. */
    public static int u16(GeneveOption option, int index) {
        return option.dataByte(index) << 8 | option.dataByte(index + 1);
    }

    /** Unsigned big-endian 32 bits at {@code index} of the option's data. */
    public static long u32(GeneveOption option, int index) {
        return Layouts.int32(option, index) & 0xFFFF_FFFFL;
    }

    /** Unsigned big-endian 32 bits at {@code index} of the cursor's option's data. */
    public static long u32(GeneveOptionCursor cursor, int index) {
        return cursor.dataInt(index) & 0xFFFF_FFFFL;
    }

    /**
     * Decodes the cursor's option through its {@link GeneveOption} form (for layouts read whole),
     * a refusal's offset moved from the option to the Geneve header, as cursor reads report it.
     */
    public static <T> T viaOption(GeneveOptionCursor cursor, Function<GeneveOption, T> decoder) {
        try {
            return decoder.apply(cursor.toOption());
        } catch (GeneveFormatException e) {
            String message = e.getMessage();
            int colon = message.indexOf(": ");
            throw new GeneveFormatException(e.reason(), cursor.offset() + e.offset(),
                    colon < 0 ? message : message.substring(colon + 2));
        }
    }

    /** A {@code BAD_LENGTH} refusal of a decoded option (offset 3: its Length field). */
    public static GeneveFormatException badLength(OptionDescriptor<?> d, int dataLength, String expected) {
        return new GeneveFormatException(GeneveFormatException.Reason.BAD_LENGTH, 3,
                String.format("%s with %d bytes of data (expected: %s)", d.name(), dataLength, expected));
    }

    /** A {@code BAD_LENGTH} refusal of the cursor's option (at its Length field in the header). */
    public static GeneveFormatException badLength(OptionDescriptor<?> d, GeneveOptionCursor cursor, String expected) {
        return new GeneveFormatException(GeneveFormatException.Reason.BAD_LENGTH, cursor.offset() + 3,
                String.format("%s with %d bytes of data (expected: %s)", d.name(), cursor.dataLength(), expected));
    }

    /** A {@code BAD_VALUE} refusal of data byte {@code index} of a decoded option. */
    public static GeneveFormatException badValue(OptionDescriptor<?> d, int index, String what) {
        return new GeneveFormatException(GeneveFormatException.Reason.BAD_VALUE, 4 + index, d.name() + ": " + what);
    }

    /** A {@code BAD_VALUE} refusal of data byte {@code index} of the cursor's option. */
    public static GeneveFormatException badValue(OptionDescriptor<?> d, GeneveOptionCursor cursor, int index,
            String what) {
        return new GeneveFormatException(GeneveFormatException.Reason.BAD_VALUE, cursor.offset() + 4 + index,
                d.name() + ": " + what);
    }
}
