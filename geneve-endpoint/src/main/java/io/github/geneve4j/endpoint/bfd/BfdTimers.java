package io.github.geneve4j.endpoint.bfd;

/**
 * A session's configured timers (RFC 5880 §6.8.1: bfd.DesiredMinTxInterval,
 * bfd.RequiredMinRxInterval, bfd.DetectMult), intervals in microseconds as on the wire.
 *
 * <pre>{@code
 * BfdTimers timers = BfdTimers.ofMillis(300, 300, 3);      // OVS bfd:min_tx=300 bfd:min_rx=300 bfd:mult=3
 * }</pre>
 *
 * <p>While a session is not Up it advertises at least one second for Desired Min TX whatever is
 * configured here (§6.8.3); the configured value takes over once it is Up.
 *
 * @param desiredMinTxMicros how often we would like to send, 1..2^32-1 µs
 * @param requiredMinRxMicros how often we can take packets, 1..2^32-1 µs (0, "do not send to me",
 *     is not offered: a session always wants to detect its peer)
 * @param detectMult how many intervals the peer may miss before it declares us down, 1..255
 */
public record BfdTimers(long desiredMinTxMicros, long requiredMinRxMicros, int detectMult) {

    /**
     * Open vSwitch's defaults (its {@code bfd:min_tx} 100 ms, {@code bfd:min_rx} 1000 ms,
     * {@code bfd:mult} 3), which the {@code geneve vtep --bfd} options default to as well.
     */
    public static final BfdTimers OVS_DEFAULTS = ofMillis(100, 1000, 3);

    /** Validates the ranges in the component descriptions. */
    public BfdTimers {
        checkInterval("desired min TX", desiredMinTxMicros);
        checkInterval("required min RX", requiredMinRxMicros);
        if (detectMult < 1 || detectMult > 255) {
            throw new IllegalArgumentException("detect multiplier " + detectMult + " (expected: 1..255)");
        }
    }

    private static void checkInterval(String what, long micros) {
        if (micros < 1 || micros > Bfd.MAX_INTERVAL_MICROS) {
            throw new IllegalArgumentException(what + " interval " + micros + " us (expected: 1.."
                    + Bfd.MAX_INTERVAL_MICROS + " us)");
        }
    }

    /**
     * Timers in milliseconds, the unit Open vSwitch configures and reads (it truncates received
     * intervals to whole milliseconds).
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public static BfdTimers ofMillis(long desiredMinTxMillis, long requiredMinRxMillis, int detectMult) {
        if (desiredMinTxMillis > Bfd.MAX_INTERVAL_MICROS / 1000 || requiredMinRxMillis > Bfd.MAX_INTERVAL_MICROS / 1000) {
            throw new IllegalArgumentException("interval " + Math.max(desiredMinTxMillis, requiredMinRxMillis)
                    + " ms (expected: at most " + Bfd.MAX_INTERVAL_MICROS / 1000 + " ms)");
        }
        return new BfdTimers(desiredMinTxMillis * 1000, requiredMinRxMillis * 1000, detectMult);
    }
}
