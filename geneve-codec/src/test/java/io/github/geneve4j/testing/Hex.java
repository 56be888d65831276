package io.github.geneve4j.testing;

import java.util.HexFormat;

/** Hex strings in tests, with spaces, newlines and {@code |} separators allowed for readability. */
public final class Hex {

    private Hex() {
    }

    public static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s|_:]", ""));
    }

    public static String of(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
