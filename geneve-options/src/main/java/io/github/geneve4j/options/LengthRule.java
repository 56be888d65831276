package io.github.geneve4j.options;

/**
 * Which data lengths (in bytes, 0..124, multiples of 4) an option may have.
 *
 * <pre>{@code
 * LengthRule.fixed(8)            // exactly 8 bytes
 * LengthRule.range(4, 16)        // 4, 8, 12 or 16 bytes
 * LengthRule.any()               // whatever the wire allows
 * }</pre>
 *
 * @param min the shortest allowed data length
 * @param max the longest allowed data length
 */
public record LengthRule(int min, int max) {

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException unless {@code 0 <= min <= max <= 124}, both multiples of 4
     */
    public LengthRule {
        if (min < 0 || max > 124 || min > max || (min & 3) != 0 || (max & 3) != 0) {
            throw new IllegalArgumentException("length rule " + min + ".." + max
                    + " (expected: multiples of 4 with 0 <= min <= max <= 124)");
        }
    }

    /** Exactly {@code length} bytes of data. */
    public static LengthRule fixed(int length) {
        return new LengthRule(length, length);
    }

    /** From {@code min} to {@code max} bytes of data. */
    public static LengthRule range(int min, int max) {
        return new LengthRule(min, max);
    }

    /** Any length an option can have: 0 to 124 bytes of data. */
    public static LengthRule any() {
        return new LengthRule(0, 124);
    }

    /** Whether an option with {@code dataLength} bytes of data satisfies this rule. */
    public boolean allows(int dataLength) {
        return dataLength >= min && dataLength <= max && (dataLength & 3) == 0;
    }

    @Override
    public String toString() {
        return min == max ? min + " bytes" : min + ".." + max + " bytes";
    }
}
