package io.github.geneve4j.endpoint.bfd;

/**
 * The session states of RFC 5880 §4.1 and §6.2, with their two-bit wire codes.
 *
 * <pre>{@code
 * if (session.state() == BfdState.UP) forward();
 * }</pre>
 */
public enum BfdState {
    /** The session is held down by its administrator (code 0). */
    ADMIN_DOWN(0),
    /** The session is down or has just been created (code 1). */
    DOWN(1),
    /** The remote system is talking to us; the three-way handshake is under way (code 2). */
    INIT(2),
    /** The path is alive in both directions (code 3). */
    UP(3);

    private static final BfdState[] BY_CODE = values();

    private final int code;

    BfdState(int code) {
        this.code = code;
    }

    /** The two-bit Sta field value. */
    public int code() {
        return code;
    }

    /**
     * The state for a Sta field value.
     *
     * @throws IllegalArgumentException if {@code code} is not in {@code 0..3}
     */
    public static BfdState ofCode(int code) {
        if (code < 0 || code > 3) {
            throw new IllegalArgumentException("BFD state " + code + " (expected: 0..3)");
        }
        return BY_CODE[code];
    }
}
