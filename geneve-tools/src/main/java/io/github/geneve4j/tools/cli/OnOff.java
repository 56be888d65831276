package io.github.geneve4j.tools.cli;

import picocli.CommandLine;

/** A switch given as {@code on} or {@code off} on the command line ({@code --offload on}). */
public enum OnOff {
    /** {@code on}. */
    ON,
    /** {@code off}. */
    OFF;

    /** Whether it is {@link #ON}. */
    public boolean on() {
        return this == ON;
    }

    /** As given on the command line: {@code on} or {@code off}. */
    @Override
    public String toString() {
        return this == ON ? "on" : "off";
    }

    /** Parses {@code on} or {@code off}, nothing else (no {@code true}, {@code 1} or {@code ON}). */
    public static final class Converter implements CommandLine.ITypeConverter<OnOff> {
        @Override
        public OnOff convert(String value) {
            return switch (value) {
                case "on" -> ON;
                case "off" -> OFF;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' (expected: on or off)");
            };
        }
    }
}
