package io.github.geneve4j.options;

import io.github.geneve4j.codec.Geneve;
import java.util.Objects;

/**
 * What a registry knows of one (class, type): a name, the data lengths allowed, and optionally a
 * codec for a typed value.
 *
 * @param optionClass the option class
 * @param type the type, critical bit included
 * @param name a short human name ("AWS GWLB flow cookie")
 * @param length the data lengths allowed
 * @param codec the typed codec, or {@code null} for an option kept raw
 */
public record OptionDescriptor(int optionClass, int type, String name, LengthRule length, OptionCodec<?> codec) {

    public OptionDescriptor {
        if (optionClass < 0 || optionClass > 0xFFFF) {
            throw new IllegalArgumentException("option class " + optionClass + " out of range (expected: 0..0xffff)");
        }
        if (type < 0 || type > 0xFF) {
            throw new IllegalArgumentException("option type " + type + " out of range (expected: 0..0xff)");
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(length, "length");
    }

    /** A descriptor without a typed codec. */
    public static OptionDescriptor raw(int optionClass, int type, String name, LengthRule length) {
        return new OptionDescriptor(optionClass, type, name, length, null);
    }

    /** Whether the type's critical bit is set. */
    public boolean critical() {
        return (type & Geneve.CRITICAL_TYPE_BIT) != 0;
    }

    @Override
    public String toString() {
        return String.format("%s (class 0x%04x, type 0x%02x%s, %s)", name, optionClass, type,
                critical() ? ", critical" : "", length);
    }
}
