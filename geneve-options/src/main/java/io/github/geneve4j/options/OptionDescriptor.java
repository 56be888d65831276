package io.github.geneve4j.options;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import java.util.Objects;

/**
 * What a registry knows of one (class, type), typed by its value: a name, the data lengths allowed,
 * and the codec between the wire and a {@code T}. An option kept raw has {@code T} =
 * {@link GeneveOption}: its value is the option itself, unchanged byte for byte.
 *
 * <pre>{@code
 * OptionDescriptor<GwlbOptions.FlowCookie> d = GwlbOptions.FLOW_COOKIE;
 * for (GeneveOptionCursor o = view.options(); o.next(); ) {
 *     if (d.matches(o)) cookie = d.decode(o).cookie();   // or FlowCookie.read(o): an int, no allocation
 * }
 * }</pre>
 *
 * @param <T> the typed value
 * @param optionClass the option class
 * @param type the type, critical bit included
 * @param name a short human name ("AWS GWLB flow cookie")
 * @param length the data lengths allowed
 * @param codec the codec of the typed value ({@link OptionCodec#raw()} for an option kept raw)
 */
public record OptionDescriptor<T>(int optionClass, int type, String name, LengthRule length, OptionCodec<T> codec) {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if the class or type is out of range
     * @throws NullPointerException if the name, length rule or codec is null
     */
    public OptionDescriptor {
        if (optionClass < 0 || optionClass > 0xFFFF) {
            throw new IllegalArgumentException("option class " + optionClass + " out of range (expected: 0..0xffff)");
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("option type " + type + " out of range (expected: 0..0xff)");
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(length, "length");
        Objects.requireNonNull(codec, "codec");
    }

    /** A descriptor of an option kept raw: its value is the {@link GeneveOption} itself. */
    public static OptionDescriptor<GeneveOption> raw(int optionClass, int type, String name, LengthRule length) {
        return new OptionDescriptor<>(optionClass, type, name, length, OptionCodec.raw());
    }

    /** Whether the option is kept raw (its value is the {@link GeneveOption}). */
    public boolean isRaw() {
        return codec == OptionCodec.raw();
    }

    /** Whether the type's critical bit is set. */
    public boolean critical() {
        return (type & Geneve.CRITICAL_TYPE_BIT) != 0;
    }

    /** Whether the cursor's option is this descriptor's (class, type). Allocates nothing. */
    public boolean matches(GeneveOptionCursor cursor) {
        return cursor.optionClass() == optionClass && cursor.type() == type;
    }

    /** Whether {@code option} is this descriptor's (class, type). */
    public boolean matches(GeneveOption option) {
        return option.optionClass() == optionClass && option.type() == type;
    }

    /**
     * The typed value of {@code option}.
     *
     * @throws GeneveFormatException {@code BAD_VALUE} if it is another (class, type), {@code BAD_LENGTH}
     *     if its data length breaks {@link #length()}, or what the codec reports
     */
    public T decode(GeneveOption option) {
        return codec.decode(option);
    }

    /**
     * The typed value of the option the cursor is on, read in place (error offsets from the first
     * byte of the Geneve header).
     *
     * @throws GeneveFormatException as {@link #decode(GeneveOption)}
     */
    public T decode(GeneveOptionCursor cursor) {
        return codec.decode(cursor);
    }

    /** The option carrying {@code value}. */
    public GeneveOption encode(T value) {
        return codec.encode(value);
    }

    @Override
    public String toString() {
        return String.format("%s (class 0x%04x, type 0x%02x%s, %s)", name, optionClass, type,
                critical() ? ", critical" : "", length);
    }
}
