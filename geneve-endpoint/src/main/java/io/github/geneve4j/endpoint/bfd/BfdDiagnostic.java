package io.github.geneve4j.endpoint.bfd;

/**
 * The diagnostic codes of RFC 5880 §4.1 (the five-bit Diag field): why the sender's session last
 * changed state. Codes 9 to 31 are reserved; they read as {@link #RESERVED}, and views and records
 * keep the number itself in {@code diagnosticCode()}.
 */
public enum BfdDiagnostic {
    /** 0: no diagnostic. */
    NONE(0),
    /** 1: no packet arrived within the detection time (§6.8.4). */
    CONTROL_DETECTION_TIME_EXPIRED(1),
    /** 2: the echo function failed (not used here: no echo). */
    ECHO_FUNCTION_FAILED(2),
    /** 3: the remote system said Down or AdminDown (§6.8.6). */
    NEIGHBOR_SIGNALED_SESSION_DOWN(3),
    /** 4: the forwarding plane was reset (§6.8.15). */
    FORWARDING_PLANE_RESET(4),
    /** 5: path down. */
    PATH_DOWN(5),
    /** 6: concatenated path down. */
    CONCATENATED_PATH_DOWN(6),
    /** 7: the session was taken down by its administrator (§6.8.16). */
    ADMINISTRATIVELY_DOWN(7),
    /** 8: reverse concatenated path down. */
    REVERSE_CONCATENATED_PATH_DOWN(8),
    /** 9..31: reserved for future use; the raw code is kept beside this constant. */
    RESERVED(-1);

    private static final BfdDiagnostic[] BY_CODE = {
        NONE, CONTROL_DETECTION_TIME_EXPIRED, ECHO_FUNCTION_FAILED, NEIGHBOR_SIGNALED_SESSION_DOWN,
        FORWARDING_PLANE_RESET, PATH_DOWN, CONCATENATED_PATH_DOWN, ADMINISTRATIVELY_DOWN,
        REVERSE_CONCATENATED_PATH_DOWN
    };

    private final int code;

    BfdDiagnostic(int code) {
        this.code = code;
    }

    /**
     * The Diag field value.
     *
     * @throws IllegalStateException for {@link #RESERVED}, which stands for 23 values
     */
    public int code() {
        if (code < 0) {
            throw new IllegalStateException("RESERVED stands for codes 9..31; use the raw diagnostic code");
        }
        return code;
    }

    /**
     * The diagnostic for a Diag field value; {@link #RESERVED} for 9..31.
     *
     * @throws IllegalArgumentException if {@code code} is not in {@code 0..31}
     */
    public static BfdDiagnostic ofCode(int code) {
        if (code < 0 || code > 31) {
            throw new IllegalArgumentException("BFD diagnostic " + code + " (expected: 0..31)");
        }
        return code < BY_CODE.length ? BY_CODE[code] : RESERVED;
    }
}
